//! Recognising notifiers: which steps send a message to a person, and whether their
//! settings let that message arrive. The catalogue in `rules/notifiers.yaml` supplies
//! every name; this module only applies it to one step at a time.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock, PoisonError};

use regex::Regex;

use crate::findings::{Finding, Location, Severity};
use crate::rules::{Catalogue, NotifierAction, Setting, version_admits};

/// What a step is, as far as alerting goes.
#[derive(Debug, Clone)]
pub enum StepRole {
    Notifier(NotifierMatch),
    /// Looks like an alert but is not one, with the reason.
    NotAlert(String),
    /// A local action (`./path`), to be looked into.
    LocalAction(String),
    /// A remote action that is not catalogued: its code cannot be read offline.
    RemoteUnknown(String),
    Other,
}

#[derive(Debug, Clone)]
pub struct NotifierMatch {
    pub channel: String,
    pub description: String,
    /// Problems with its settings, already tied to the step.
    pub findings: Vec<Finding>,
    /// Whether one of those problems stops it from delivering at all.
    pub breaks: bool,
}

/// One step as the notifier checks see it.
pub struct StepView<'a> {
    /// `owner/repo[/path]@ref` for remote actions, `./path` for local ones.
    pub uses: Option<&'a str>,
    pub with: BTreeMap<String, String>,
    pub run: Option<&'a str>,
    /// The env the step runs with: workflow, then job, then step.
    pub env: BTreeMap<String, String>,
    /// The env set on the step itself.
    pub own_env: BTreeMap<String, String>,
    pub location: Location,
    /// The version written in a comment after a pinned `uses:`.
    pub version_comment: Option<String>,
    /// Whether an earlier step of the job may have exported env vars at run time
    /// (through `$GITHUB_ENV` or an action), so an env destination may exist unseen.
    pub env_may_be_exported: bool,
}

pub fn classify(step: &StepView<'_>, catalogue: &Catalogue) -> StepRole {
    match (step.uses, step.run) {
        (Some(uses), _) => classify_uses(uses, step, catalogue),
        (None, Some(script)) => classify_run(script, step, catalogue),
        (None, None) => StepRole::Other,
    }
}

fn classify_uses(uses: &str, step: &StepView<'_>, catalogue: &Catalogue) -> StepRole {
    let uses = uses.trim();
    if uses.starts_with("./") {
        return StepRole::LocalAction(crate::repo::local_key(uses));
    }
    if uses.starts_with("docker://") {
        return StepRole::Other;
    }
    let (action, git_ref) = uses.rsplit_once('@').unwrap_or((uses, ""));
    if let Some(not_alert) = catalogue.not_alert(action) {
        return StepRole::NotAlert(not_alert.reason.clone());
    }
    let entries = catalogue.actions_for(action);
    if entries.is_empty() {
        return match is_plumbing(action) {
            true => StepRole::Other,
            false => StepRole::RemoteUnknown(uses.to_string()),
        };
    }
    let major =
        major_version(git_ref).or_else(|| step.version_comment.as_deref().and_then(major_version));
    let entry = pick_entry(&entries, major, step);
    StepRole::Notifier(check_action(action, entry, step))
}

/// Well-known actions that never notify anyone; an unknown-remote verdict for them
/// would only be noise.
fn is_plumbing(action: &str) -> bool {
    let action = action.to_ascii_lowercase();
    action.starts_with("actions/")
        || action.starts_with("github/codeql-action")
        || action.starts_with("docker/")
        || action.starts_with("aws-actions/")
        || action.starts_with("azure/")
        || action.starts_with("google-github-actions/")
}

fn major_version(text: &str) -> Option<u64> {
    let text = text.trim().trim_start_matches('v');
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 6 {
        return None;
    }
    digits.parse().ok()
}

fn pick_entry<'c>(
    entries: &[&'c NotifierAction],
    major: Option<u64>,
    step: &StepView<'_>,
) -> &'c NotifierAction {
    if let Some(major) = major
        && let Some(entry) = entries.iter().find(|e| {
            e.versions
                .as_deref()
                .is_none_or(|v| version_admits(v, major))
        })
    {
        return entry;
    }
    let hinted = entries.iter().find(|e| {
        e.hint_inputs
            .iter()
            .any(|input| step.with.contains_key(input))
    });
    let plain = entries.iter().find(|e| e.hint_inputs.is_empty());
    hinted.or(plain).unwrap_or(&entries[0])
}

fn check_action(action: &str, entry: &NotifierAction, step: &StepView<'_>) -> NotifierMatch {
    let mut findings = Vec::new();
    let mut breaks = false;
    let destination = destination_value(entry, step);
    if destination.is_none()
        && !(entry.destination.inputs.is_empty() && entry.destination.env.is_empty())
    {
        let exported_later = step.env_may_be_exported && !entry.destination.env.is_empty();
        breaks |= !exported_later;
        findings.push(missing_destination(action, entry, step, exported_later));
    }
    if let Some(value) = &destination
        && let Some(finding) = destination_not_secret(action, value, step)
    {
        findings.push(finding);
    }
    for check in &entry.checks {
        let applies = check
            .when
            .as_ref()
            .is_none_or(|when| setting_present(when, step, destination.is_some()));
        if applies && !setting_satisfied(&check.require, step) {
            let severity = Severity::parse(&check.severity).unwrap_or(Severity::Warning);
            breaks |= check.breaks_route;
            let message = format!("{action}: {}", check.message.trim());
            findings.push(Finding::new(
                "notifier-misconfigured",
                severity,
                message,
                step.location.clone(),
            ));
        }
    }
    let description = match &entry.versions {
        Some(v) => format!("{action} ({}, {v})", entry.channel),
        None => format!("{action} ({})", entry.channel),
    };
    NotifierMatch {
        channel: entry.channel.clone(),
        description,
        findings,
        breaks,
    }
}

fn destination_value(entry: &NotifierAction, step: &StepView<'_>) -> Option<String> {
    let from_inputs = entry
        .destination
        .inputs
        .iter()
        .find_map(|name| non_empty(step.with.get(name)));
    let from_env = || {
        entry
            .destination
            .env
            .iter()
            .find_map(|name| non_empty(step.env.get(name)))
    };
    from_inputs.or_else(from_env)
}

fn non_empty(value: Option<&String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty()).cloned()
}

fn missing_destination(
    action: &str,
    entry: &NotifierAction,
    step: &StepView<'_>,
    exported: bool,
) -> Finding {
    let mut names: Vec<String> = entry
        .destination
        .inputs
        .iter()
        .map(|i| format!("input `{i}`"))
        .collect();
    names.extend(entry.destination.env.iter().map(|e| format!("env `{e}`")));
    let names = names.join(", ");
    if exported {
        let message = format!(
            "{action} shows no destination ({names}); it can only work if an earlier step exports one \
             at run time, and if that step fails or exports nothing, the alert posts nowhere. Pass the \
             destination from a secret, e.g. `${{{{ secrets.SLACK_WEBHOOK_URL }}}}`"
        );
        return Finding::new(
            "notifier-misconfigured",
            Severity::Warning,
            message,
            step.location.clone(),
        );
    }
    let message = format!(
        "{action} has no destination: none of {names} is set, so the step fails or posts nowhere. \
         Set one of them from a secret, e.g. `${{{{ secrets.SLACK_WEBHOOK_URL }}}}`"
    );
    Finding::new(
        "notifier-misconfigured",
        Severity::Error,
        message,
        step.location.clone(),
    )
}

fn destination_not_secret(action: &str, value: &str, step: &StepView<'_>) -> Option<Finding> {
    let literal = !value.contains("${{");
    let from_vars = value.contains("vars.") && !value.contains("secrets.");
    if !(literal || from_vars) || looks_like_webhook(value) {
        // A literal webhook URL is reported by `webhook-hardcoded` instead.
        return None;
    }
    let message = format!(
        "{action} takes its destination from a value that is not a secret; anyone who can read \
         the repository or its variables can post to it, and it cannot be rotated without a commit. \
         Store it as a secret and write `${{{{ secrets.NAME }}}}`"
    );
    Some(Finding::new(
        "notifier-misconfigured",
        Severity::Warning,
        message,
        step.location.clone(),
    ))
}

fn looks_like_webhook(value: &str) -> bool {
    Catalogue::builtin()
        .webhook_regexes
        .iter()
        .any(|(_, re)| re.is_match(value))
}

fn setting_present(setting: &Setting, step: &StepView<'_>, has_destination: bool) -> bool {
    if setting.destination == Some(true) {
        return has_destination;
    }
    setting_value(setting, step).is_some_and(|v| !v.trim().is_empty())
}

fn setting_satisfied(setting: &Setting, step: &StepView<'_>) -> bool {
    match (setting_value(setting, step), &setting.equals) {
        (Some(value), Some(expected)) => value.trim().eq_ignore_ascii_case(expected),
        (Some(value), None) => !value.trim().is_empty(),
        (None, _) => false,
    }
}

fn setting_value<'s>(setting: &Setting, step: &'s StepView<'_>) -> Option<&'s String> {
    match (&setting.input, &setting.env) {
        (Some(input), _) => step.with.get(input),
        (None, Some(env)) => step.env.get(env),
        (None, None) => None,
    }
}

/// A `run:` step is a notifier when it sends an HTTP request to a notification host, or
/// to an address taken from a secret whose name says it is for notifications. A script
/// that receives such a secret in its env and runs a program counts too.
fn classify_run(script: &str, step: &StepView<'_>, catalogue: &Catalogue) -> StepRole {
    let run = &catalogue.notifiers.run;
    let sends_http = run
        .commands
        .iter()
        .any(|command| mentions_command(script, command));
    let hosts = hosts_in(script);
    let notifier_host = hosts
        .iter()
        .filter(|host| !host_matches(&run.not_hosts, host))
        .find(|host| host_matches(&run.hosts, host));
    let secret = notification_secret(script, step, &run.secret_words);

    if sends_http && let Some(host) = notifier_host {
        return StepRole::Notifier(run_match(format!("HTTP request to {host}"), script, step));
    }
    match (sends_http, secret) {
        (true, Some(name)) => StepRole::Notifier(run_match(
            format!("HTTP request to the address in {name}"),
            script,
            step,
        )),
        (false, Some(name)) if step.env_mentions_secret(&name) => {
            StepRole::Notifier(NotifierMatch {
                channel: channel_of(&name),
                description: format!("script given {name}"),
                findings: Vec::new(),
                breaks: false,
            })
        }
        _ => StepRole::Other,
    }
}

impl StepView<'_> {
    /// Whether the step's own env hands the secret to the script it runs.
    fn env_mentions_secret(&self, name: &str) -> bool {
        self.own_env
            .iter()
            .any(|(key, value)| key == name || value.contains(name))
    }
}

fn run_match(description: String, script: &str, step: &StepView<'_>) -> NotifierMatch {
    let mut findings = Vec::new();
    if mentions_command(script, "curl") && !curl_fails_on_http_errors(script) {
        let message = "`curl` exits 0 when the server answers with an HTTP error, so a revoked \
                       webhook or a rejected payload leaves the step green and nobody hears of it. \
                       Add `--fail` (or `-f`) to the curl command";
        findings.push(Finding::new(
            "notifier-misconfigured",
            Severity::Warning,
            message,
            step.location.clone(),
        ));
    }
    NotifierMatch {
        channel: channel_of(&description),
        description,
        findings,
        breaks: false,
    }
}

fn channel_of(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    [
        "slack",
        "teams",
        "office",
        "discord",
        "pagerduty",
        "opsgenie",
        "telegram",
        "mattermost",
        "chat",
        "mail",
    ]
    .iter()
    .find(|word| lower.contains(*word))
    .map_or("webhook", |word| match *word {
        "office" => "teams",
        "mail" => "email",
        other => other,
    })
    .to_string()
}

/// Whether the script runs `command`. Each command's pattern is compiled once: a file
/// with thousands of `run:` steps would otherwise spend seconds compiling the same ones.
fn mentions_command(script: &str, command: &str) -> bool {
    static PATTERNS: OnceLock<Mutex<HashMap<String, Option<Regex>>>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut patterns = patterns.lock().unwrap_or_else(PoisonError::into_inner);
    let pattern = patterns.entry(command.to_string()).or_insert_with(|| {
        let escaped = regex::escape(command);
        Regex::new(&format!(r"(?i)(^|[\s;&|(`$]){escaped}(\s|$)")).ok()
    });
    pattern.as_ref().is_some_and(|re| re.is_match(script))
}

fn curl_fails_on_http_errors(script: &str) -> bool {
    static FAIL: OnceLock<Regex> = OnceLock::new();
    let re = FAIL.get_or_init(|| {
        Regex::new(r"(^|\s)(--fail(-with-body)?\b|-[a-zA-Z]*f[a-zA-Z]*\b)").expect("static regex")
    });
    re.is_match(script)
}

fn hosts_in(script: &str) -> Vec<String> {
    static URL: OnceLock<Regex> = OnceLock::new();
    let re = URL.get_or_init(|| Regex::new(r"(?i)https?://([a-z0-9.\-]+)").expect("static regex"));
    re.captures_iter(script)
        .map(|c| c[1].to_ascii_lowercase())
        .collect()
}

fn host_matches(patterns: &[String], host: &str) -> bool {
    patterns.iter().any(|pattern| {
        let pattern = pattern.to_ascii_lowercase();
        let pattern = pattern.split('/').next().unwrap_or("");
        match pattern.strip_prefix("*.") {
            Some(domain) => host == domain || host.ends_with(&format!(".{domain}")),
            None => host == pattern,
        }
    })
}

/// The name of a secret (or of an env var carrying one) that the script uses and whose
/// name marks it as a notification credential.
fn notification_secret(script: &str, step: &StepView<'_>, words: &[String]) -> Option<String> {
    static SECRET: OnceLock<Regex> = OnceLock::new();
    static VAR: OnceLock<Regex> = OnceLock::new();
    let secret_re =
        SECRET.get_or_init(|| Regex::new(r"secrets\.([A-Za-z0-9_\-]+)").expect("static regex"));
    let var_re = VAR.get_or_init(|| {
        Regex::new(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)|env\.([A-Za-z_][A-Za-z0-9_]*)|\$env:([A-Za-z_][A-Za-z0-9_]*)")
            .expect("static regex")
    });
    let direct = secret_re.captures_iter(script).map(|c| c[1].to_string());
    let via_env = var_re
        .captures_iter(script)
        .filter_map(|c| {
            c.iter()
                .skip(1)
                .flatten()
                .next()
                .map(|m| m.as_str().to_string())
        })
        .filter(|name| step.env.get(name).is_some_and(|v| v.contains("secrets.")));
    let step_env = step
        .own_env
        .iter()
        .filter(|(_, value)| value.contains("secrets."))
        .map(|(name, _)| name.clone());
    direct
        .chain(via_env)
        .chain(step_env)
        .find(|name| is_notification_name(name, words))
}

/// Splits a name on `_`, `-` and case changes and looks for one of the catalogue's words.
pub fn is_notification_name(name: &str, words: &[String]) -> bool {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        let boundary = c == '_' || c == '-' || (c.is_ascii_uppercase() && previous_lower);
        if boundary && !current.is_empty() {
            tokens.push(std::mem::take(&mut current));
        }
        if c != '_' && c != '-' {
            current.push(c.to_ascii_lowercase());
        }
        previous_lower = c.is_ascii_lowercase();
    }
    tokens.push(current);
    tokens
        .iter()
        .any(|token| words.iter().any(|word| token == &word.to_ascii_lowercase()))
}
