//! The catalogue embedded from `rules/`: the control and its rules (`soc2-09.yaml`) and
//! the notifiers alertlint recognises (`notifiers.yaml`). This module only loads and
//! matches that data; deciding what a match means for a job lives in `analysis/`.

use std::sync::OnceLock;

use regex::Regex;
use serde::Deserialize;

use crate::findings::Severity;

const CONTROL_YAML: &str = include_str!("../rules/soc2-09.yaml");
const NOTIFIERS_YAML: &str = include_str!("../rules/notifiers.yaml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlCatalogue {
    pub control: Control,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub id: String,
    pub title: String,
    pub criteria: Vec<String>,
    pub description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub rationale: String,
    pub remediation: String,
}

impl Rule {
    pub fn default_severity(&self) -> Severity {
        Severity::parse(&self.severity).unwrap_or(Severity::Error)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifierCatalogue {
    pub actions: Vec<NotifierAction>,
    #[serde(default)]
    pub not_alerts: Vec<NotAlert>,
    pub run: RunNotifiers,
    #[serde(default)]
    pub webhook_patterns: Vec<WebhookPattern>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifierAction {
    pub uses: String,
    #[serde(default)]
    pub versions: Option<String>,
    #[serde(default)]
    pub hint_inputs: Vec<String>,
    pub channel: String,
    #[serde(default)]
    pub destination: Destination,
    #[serde(default)]
    pub checks: Vec<NotifierCheck>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    #[serde(default)]
    pub inputs: Vec<String>,
    #[serde(default)]
    pub env: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifierCheck {
    #[serde(default)]
    pub when: Option<Setting>,
    pub require: Setting,
    pub severity: String,
    #[serde(default)]
    pub breaks_route: bool,
    pub message: String,
}

/// A step setting that a check looks at: an input under `with:` or an env var.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    #[serde(default)]
    pub input: Option<String>,
    #[serde(default)]
    pub env: Option<String>,
    #[serde(default)]
    pub destination: Option<bool>,
    /// Any one of these inputs being set satisfies the setting.
    #[serde(default)]
    pub any_input: Vec<String>,
    #[serde(default)]
    pub equals: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotAlert {
    pub uses: String,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunNotifiers {
    pub commands: Vec<String>,
    pub hosts: Vec<String>,
    pub secret_words: Vec<String>,
    #[serde(default)]
    pub not_hosts: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookPattern {
    pub name: String,
    pub regex: String,
}

/// The loaded catalogue, with its patterns compiled once.
pub struct Catalogue {
    pub control: ControlCatalogue,
    pub notifiers: NotifierCatalogue,
    pub webhook_regexes: Vec<(String, Regex)>,
    /// Matches a script that runs one of `run.commands` (an HTTP client).
    pub run_commands: Regex,
}

impl Catalogue {
    /// The catalogue built into this binary. Its files are part of the source tree and
    /// checked by tests, so a failure to load them is a build defect, not user error.
    pub fn builtin() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| {
            Catalogue::parse(CONTROL_YAML, NOTIFIERS_YAML)
                .unwrap_or_else(|e| panic!("the built-in rules/ catalogue is invalid: {e}"))
        })
    }

    pub fn parse(control: &str, notifiers: &str) -> Result<Catalogue, String> {
        let control: ControlCatalogue =
            yaml_serde::from_str(control).map_err(|e| format!("soc2-09.yaml: {e}"))?;
        let notifiers: NotifierCatalogue =
            yaml_serde::from_str(notifiers).map_err(|e| format!("notifiers.yaml: {e}"))?;
        let mut webhook_regexes = Vec::new();
        for pattern in &notifiers.webhook_patterns {
            let regex = Regex::new(&pattern.regex)
                .map_err(|e| format!("notifiers.yaml: pattern {}: {e}", pattern.name))?;
            webhook_regexes.push((pattern.name.clone(), regex));
        }
        let run_commands = command_regex(&notifiers.run.commands);
        Ok(Catalogue {
            control,
            notifiers,
            webhook_regexes,
            run_commands,
        })
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.control.rules.iter().find(|r| r.id == id)
    }

    /// The default severity of a rule; unknown ids (a programming error) count as errors
    /// so that they can never make a control pass.
    pub fn severity(&self, id: &str) -> Severity {
        self.rule(id)
            .map_or(Severity::Error, Rule::default_severity)
    }

    /// The catalogue entries for an action reference such as `owner/repo/path`.
    pub fn actions_for(&self, action: &str) -> Vec<&NotifierAction> {
        self.notifiers
            .actions
            .iter()
            .filter(|entry| action_matches(&entry.uses, action))
            .collect()
    }

    pub fn not_alert(&self, action: &str) -> Option<&NotAlert> {
        self.notifiers
            .not_alerts
            .iter()
            .find(|entry| action_matches(&entry.uses, action))
    }
}

/// A regex matching any of `commands` run as a command: at the start of the script or
/// after a separator, and followed by a space or the end.
pub fn command_regex(commands: &[String]) -> Regex {
    let alternatives: Vec<String> = commands.iter().map(|c| regex::escape(c)).collect();
    let pattern = format!(r"(?i)(^|[\s;&|(`$])({})(\s|$)", alternatives.join("|"));
    // The pattern is built from escaped literals, so it always compiles.
    Regex::new(&pattern).unwrap_or_else(|_| Regex::new("$^").expect("static regex"))
}

/// Whether a catalogue pattern (`owner/repo`, `owner/repo/path` or `owner/repo/path/*`)
/// names the action `owner/repo[/path]`, ignoring case as GitHub does for owners and repos.
fn action_matches(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let action = action.trim_end_matches('/').to_ascii_lowercase();
    match pattern.strip_suffix("/*") {
        Some(prefix) => action.starts_with(&format!("{prefix}/")),
        None => pattern == action,
    }
}

/// Whether a version requirement such as `<2`, `>=2` or `1` admits a major version.
pub fn version_admits(requirement: &str, major: u64) -> bool {
    let requirement = requirement.trim();
    let (op, number) = ["<=", ">=", "<", ">", "="]
        .iter()
        .find_map(|op| requirement.strip_prefix(op).map(|rest| (*op, rest)))
        .unwrap_or(("=", requirement));
    let Ok(bound) = number.trim().trim_start_matches('v').parse::<u64>() else {
        return false;
    };
    match op {
        "<=" => major <= bound,
        ">=" => major >= bound,
        "<" => major < bound,
        ">" => major > bound,
        _ => major == bound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_loads_and_every_rule_has_a_valid_severity() {
        let catalogue = Catalogue::builtin();
        assert_eq!(catalogue.control.control.id, "SOC2-09");
        for rule in &catalogue.control.rules {
            assert!(Severity::parse(&rule.severity).is_some(), "{}", rule.id);
        }
    }

    #[test]
    fn action_patterns_match_paths_and_ignore_case() {
        assert!(action_matches(
            "slackapi/slack-github-action",
            "SlackAPI/slack-github-action"
        ));
        assert!(!action_matches(
            "slackapi/slack-github-action",
            "slackapi/slack-github-action-x"
        ));
        assert!(action_matches(
            "elastic/oblt-actions/slack/*",
            "elastic/oblt-actions/slack/send"
        ));
        assert!(!action_matches(
            "elastic/oblt-actions/slack/*",
            "elastic/oblt-actions/slackish"
        ));
    }

    #[test]
    fn version_requirements_compare_major_versions() {
        assert!(version_admits("<2", 1));
        assert!(!version_admits("<2", 2));
        assert!(version_admits(">=2", 4));
        assert!(version_admits("3", 3));
        assert!(!version_admits("nonsense", 3));
    }
}
