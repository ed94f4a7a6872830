//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF readers. Rule
//! metadata comes from `rules/soc2-09.yaml`; paths are relative to the repository root;
//! each result carries a fingerprint of its line's content so that an alert survives
//! edits elsewhere in the file. Waived findings are kept, with a suppression.

use std::collections::HashMap;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::RepoPrefix;
use crate::findings::{Finding, Report, Severity, WaiverSource};
use crate::repo::Repository;
use crate::rules::{Catalogue, Rule};

const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Characters that may not appear as such in a URI path (RFC 3986), besides controls.
const NOT_IN_PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

pub struct SarifOptions {
    pub prefix: RepoPrefix,
    /// `runAutomationDetails.id`: code scanning keeps one set of alerts per category,
    /// so that several paths or repositories can upload side by side.
    pub category: String,
}

impl SarifOptions {
    /// `alertlint/` for the repository root, `alertlint/services/api/` for a folder in it,
    /// or the category given, always ending in `/` so that it names a category.
    pub fn new(prefix: RepoPrefix, category: Option<&str>) -> Self {
        let mut category = match category {
            Some(category) => category.trim().to_string(),
            None if prefix.as_str().is_empty() => "alertlint/".to_string(),
            None => format!("alertlint/{}/", prefix.as_str()),
        };
        if !category.ends_with('/') {
            category.push('/');
        }
        Self { prefix, category }
    }
}

pub fn render(report: &Report, repo: &Repository, options: &SarifOptions) -> String {
    let catalogue = Catalogue::builtin();
    let rules = &catalogue.control.rules;
    let mut occurrences = HashMap::new();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, rules, repo, options, &mut occurrences))
        .collect();
    let document = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": env!("CARGO_PKG_NAME"),
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules.iter().map(rule).collect::<Vec<_>>(),
            }},
            "automationDetails": {"id": options.category},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn rule(rule: &Rule) -> Value {
    let control = &Catalogue::builtin().control.control;
    let mut tags = vec!["soc2".to_string(), control.id.clone()];
    tags.extend(control.criteria.iter().cloned());
    json!({
        "id": rule.id,
        "name": pascal_case(&rule.id),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": rule.remediation, "markdown": rule.remediation},
        "defaultConfiguration": {"level": level(rule.default_severity())},
        "properties": {"tags": tags, "precision": "high", "problem.severity": problem_severity(rule.default_severity())},
    })
}

fn result(
    finding: &Finding,
    rules: &[Rule],
    repo: &Repository,
    options: &SarifOptions,
    occurrences: &mut HashMap<String, usize>,
) -> Value {
    let mut result = json!({
        "ruleId": finding.rule,
        "level": level(finding.severity),
        "message": {"text": message(finding)},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": uri(&options.prefix.apply(&finding.location.path))},
            "region": region(finding),
        }}],
        "partialFingerprints": {
            "primaryLocationLineHash": line_hash(finding, repo, occurrences),
        },
    });
    if let Some(index) = rules.iter().position(|r| r.id == finding.rule) {
        result["ruleIndex"] = json!(index);
    }
    if let Some(waiver) = finding.waiver.as_ref().filter(|_| finding.is_waived()) {
        let kind = match waiver.source {
            WaiverSource::Config => "external",
            WaiverSource::Inline => "inSource",
        };
        result["suppressions"] = json!([{
            "kind": kind,
            "status": "accepted",
            "justification": waiver.reason,
            "properties": {"approvedBy": waiver.approved_by, "expires": waiver.expires},
        }]);
    }
    result
}

/// The message, then whatever a reader of the alert needs to close it.
fn message(finding: &Finding) -> String {
    let mut text = finding.message.clone();
    if let Some(waiver) = &finding.waiver {
        text.push_str(&format!("\n\n{}", waiver.summary()));
    }
    if let (Some(hint), Some(suggestion)) = (&finding.fix_hint, &finding.suggestion) {
        text.push_str(&format!("\n\nFix ({hint}):\n{suggestion}"));
    }
    text
}

/// The finding's span; a finding about a whole file points at its first line, since a
/// result needs a line to be shown.
fn region(finding: &Finding) -> Value {
    match finding.location.span {
        Some(span) => json!({
            "startLine": span.line,
            "startColumn": span.column,
            "endLine": span.end_line.max(span.line),
            "endColumn": span.end_column.max(1),
        }),
        None => json!({"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}),
    }
}

/// A relative URI reference for a repository path, percent-encoded where a URI needs it.
/// Only a config given with `--config` outside the scanned root has an absolute path; it
/// becomes a `file:` URI rather than a relative one that would name the wrong file.
fn uri(path: &str) -> String {
    match path.strip_prefix('/') {
        Some(_) => format!("file://{}", utf8_percent_encode(path, NOT_IN_PATH)),
        None => utf8_percent_encode(path.trim_start_matches("./"), NOT_IN_PATH).to_string(),
    }
}

/// A hash of the rule and the trimmed text of the finding's first line, and how many
/// earlier results in the same file share it: stable when other lines move, distinct
/// for identical lines.
fn line_hash(
    finding: &Finding,
    repo: &Repository,
    occurrences: &mut HashMap<String, usize>,
) -> String {
    let line = finding.location.span.map_or(1, |s| s.line);
    let content = repo
        .source(&finding.location.path)
        .and_then(|source| source.text().lines().nth(line - 1).map(str::trim))
        .unwrap_or("");
    let mut hasher = Sha256::new();
    hasher.update(finding.rule.as_bytes());
    hasher.update([0]);
    hasher.update(content.as_bytes());
    let digest = hasher.finalize();
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let key = format!("{}\u{0}{hash}", finding.location.path);
    let counter = occurrences.entry(key).or_insert(0);
    *counter += 1;
    format!("{hash}:{counter}")
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// The severity GitHub code scanning shows for a rule.
fn problem_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "recommendation",
    }
}

/// `missing-failure-alert` as `MissingFailureAlert`, the form SARIF rule names take.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_percent_encoded() {
        assert_eq!(uri("./.github/workflows/x.yml"), ".github/workflows/x.yml");
        assert_eq!(
            uri(".github/workflows/nightly sync#2.yml"),
            ".github/workflows/nightly%20sync%232.yml"
        );
        assert_eq!(uri("dir/é.yml"), "dir/%C3%A9.yml");
        assert_eq!(uri("/etc/alertlint.yml"), "file:///etc/alertlint.yml");
    }

    #[test]
    fn category_names_the_folder_and_ends_with_a_slash() {
        let root = SarifOptions::new(RepoPrefix::new("."), None);
        assert_eq!(root.category, "alertlint/");
        let folder = SarifOptions::new(RepoPrefix::new("services/api/"), None);
        assert_eq!(folder.category, "alertlint/services/api/");
        let given = SarifOptions::new(RepoPrefix::default(), Some("alertlint/billing"));
        assert_eq!(given.category, "alertlint/billing/");
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("missing-failure-alert"), "MissingFailureAlert");
    }
}
