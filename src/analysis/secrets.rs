//! Which secrets an alert route reads, and whether they reach it. A notifier step reads
//! the `secrets.X` written in its own `with:`, `env:` and `run:`, and in the job and
//! workflow `env:` it uses. A reusable workflow sees only what its caller passes, through
//! `secrets: inherit` or an explicit entry; anything else is empty there at run time.
//! Whether a secret exists is asked of GitHub elsewhere (`online/`); this module only
//! reads the files.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use super::notifier::is_notification_name;
use crate::findings::{Location, SecretReference, Segment};

/// A workflow or job `env:` entry whose value reads a secret.
#[derive(Clone, Debug)]
pub struct EnvSecret {
    pub var: String,
    pub value: String,
    pub route: Vec<Segment>,
}

/// What a call to a reusable workflow passes on under `secrets:`.
#[derive(Clone, Debug, Default)]
pub enum CallSecrets {
    #[default]
    Nothing,
    Inherit,
    /// Each entry's name in the callee, with the value the caller gives it.
    Explicit(BTreeMap<String, String>),
}

/// A secret the callee reads that its caller never passes: empty at run time.
#[derive(Clone, Debug)]
pub struct UnpassedSecret {
    pub reference: SecretReference,
    /// The job that calls the reusable workflow without passing it.
    pub call: Location,
}

/// The secrets one step of a job reads, with the place each is written.
pub struct StepSecrets<'a> {
    pub path: &'a str,
    pub route: &'a [Segment],
    pub with: &'a BTreeMap<String, String>,
    pub own_env: &'a BTreeMap<String, String>,
    pub run: Option<&'a str>,
    pub is_action: bool,
    pub inherited: &'a [EnvSecret],
    pub environment: Option<&'a str>,
}

impl StepSecrets<'_> {
    pub fn references(&self, words: &[String]) -> Vec<SecretReference> {
        let mut found = Vec::new();
        for (key, value) in self.with {
            self.push(&mut found, value, self.under(&["with", key]));
        }
        for (key, value) in self.own_env {
            self.push(&mut found, value, self.under(&["env", key]));
        }
        if let Some(script) = self.run {
            self.push(&mut found, script, self.under(&["run"]));
        }
        for entry in self.inherited {
            if !self.own_env.contains_key(&entry.var) && self.reads_env(&entry.var, words) {
                self.push(&mut found, &entry.value, entry.route.clone());
            }
        }
        found
    }

    /// A job or workflow env var reaches every step, but only counts for this route when
    /// the step uses it: the script or an input names it, or it is an action (which may
    /// read any env var) and the name says it is a notification credential.
    fn reads_env(&self, var: &str, words: &[String]) -> bool {
        let mentioned = |text: &str| mentions_env_var(text, var);
        self.run.is_some_and(mentioned)
            || self.with.values().any(|v| mentioned(v))
            || (self.is_action && is_notification_name(var, words))
    }

    fn under(&self, keys: &[&str]) -> Vec<Segment> {
        let mut route = self.route.to_vec();
        route.extend(keys.iter().map(|k| Segment::from(*k)));
        route
    }

    fn push(&self, found: &mut Vec<SecretReference>, text: &str, route: Vec<Segment>) {
        for name in secret_names(text) {
            found.push(SecretReference {
                name,
                location: Location::at(self.path, route.clone()),
                environment: self.environment.map(str::to_string),
                environment_only: false,
            });
        }
    }
}

/// The secrets named inside `${{ }}` expressions of a value or script. `GITHUB_TOKEN`
/// always exists and is left out.
pub fn secret_names(text: &str) -> Vec<String> {
    static EXPRESSION: OnceLock<Regex> = OnceLock::new();
    static NAME: OnceLock<Regex> = OnceLock::new();
    let expression =
        EXPRESSION.get_or_init(|| Regex::new(r"(?s)\$\{\{(.*?)\}\}").expect("static regex"));
    let name = NAME.get_or_init(|| {
        // Expression identifiers may hold `-`, and reusable workflows' secrets often do.
        Regex::new(r#"secrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_-]*)|\[\s*['"]([A-Za-z_][A-Za-z0-9_-]*)['"]\s*\])"#)
            .expect("static regex")
    });
    let mut names: Vec<String> = expression
        .captures_iter(text)
        .flat_map(|e| {
            name.captures_iter(e.get(1).map_or("", |m| m.as_str()))
                .filter_map(|c| c.get(1).or_else(|| c.get(2)))
                .map(|m| m.as_str().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|n| !n.eq_ignore_ascii_case("GITHUB_TOKEN"))
        .collect();
    names.dedup();
    names
}

fn mentions_env_var(text: &str, var: &str) -> bool {
    let escaped = regex::escape(var);
    Regex::new(&format!(
        r"(\$\{{?{escaped}\b|env\.{escaped}\b|\$env:{escaped}\b|%{escaped}%)"
    ))
    .map(|re| re.is_match(text))
    .unwrap_or(false)
}

/// Follows the secrets a callee reads through the call: inherited ones keep their name,
/// explicit entries become the caller's own secrets (read at the entry), and the rest
/// reach the callee only from its job's environment, or not at all.
pub fn through_call(
    references: Vec<SecretReference>,
    secrets: &CallSecrets,
    call: &Location,
) -> (Vec<SecretReference>, Vec<UnpassedSecret>) {
    let mut passed = Vec::new();
    let mut unpassed = Vec::new();
    for reference in references {
        if reference.environment_only || matches!(secrets, CallSecrets::Inherit) {
            passed.push(reference);
            continue;
        }
        let entry = match secrets {
            CallSecrets::Explicit(entries) => entries
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(&reference.name)),
            _ => None,
        };
        match entry {
            Some((key, value)) => {
                let mut route = call.route.clone();
                route.extend([Segment::from("secrets"), Segment::from(key)]);
                passed.extend(secret_names(value).into_iter().map(|name| SecretReference {
                    name,
                    location: Location::at(&call.path, route.clone()),
                    environment: None,
                    environment_only: false,
                }));
            }
            None if reference.environment.is_some() => passed.push(SecretReference {
                environment_only: true,
                ..reference
            }),
            None => unpassed.push(UnpassedSecret {
                reference,
                call: call.clone(),
            }),
        }
    }
    (passed, unpassed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_read_only_inside_expressions() {
        assert_eq!(
            secret_names("curl -f \"${{ secrets.SLACK_URL }}\" # secrets.NOT_THIS"),
            vec!["SLACK_URL".to_string()]
        );
        assert_eq!(
            secret_names("${{ secrets['PAGER_KEY'] || secrets.FALLBACK }}"),
            vec!["PAGER_KEY".to_string(), "FALLBACK".to_string()]
        );
        assert!(secret_names("${{ secrets.GITHUB_TOKEN }}").is_empty());
        assert_eq!(
            secret_names("${{ secrets.slack-token }}"),
            vec!["slack-token".to_string()]
        );
    }

    fn reference(name: &str, environment: Option<&str>) -> SecretReference {
        SecretReference {
            name: name.to_string(),
            location: Location::at(".github/workflows/notify.yml", vec![]),
            environment: environment.map(str::to_string),
            environment_only: false,
        }
    }

    #[test]
    fn explicit_entry_renames_and_unlisted_secret_is_not_passed() {
        let call = Location::at(".github/workflows/nightly.yml", crate::route!["jobs", "n"]);
        let mut entries = BTreeMap::new();
        entries.insert("webhook".to_string(), "${{ secrets.SLACK }}".to_string());
        let (passed, unpassed) = through_call(
            vec![reference("WEBHOOK", None), reference("OTHER", None)],
            &CallSecrets::Explicit(entries),
            &call,
        );
        assert_eq!(passed.len(), 1);
        assert_eq!(passed[0].name, "SLACK");
        assert_eq!(passed[0].location.route_text(), "jobs.n.secrets.webhook");
        assert_eq!(unpassed.len(), 1);
        assert_eq!(unpassed[0].reference.name, "OTHER");
    }

    #[test]
    fn unpassed_secret_of_a_job_with_an_environment_can_only_come_from_it() {
        let call = Location::at(".github/workflows/nightly.yml", crate::route!["jobs", "n"]);
        let (passed, unpassed) = through_call(
            vec![reference("PAGER", Some("prod"))],
            &CallSecrets::Nothing,
            &call,
        );
        assert!(unpassed.is_empty());
        assert!(passed[0].environment_only);
    }
}
