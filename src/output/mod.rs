//! Rendering a [`Report`](crate::findings::Report): one file per format. Nothing here
//! decides anything; it only shows what the analysis found.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;

use std::str::FromStr;

use crate::findings::Report;
use crate::redact::redact;

/// The formats `check` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Markdown,
    Junit,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "github" => Ok(Format::Github),
            "markdown" => Ok(Format::Markdown),
            "junit" => Ok(Format::Junit),
            other => Err(format!(
                "unknown format `{other}`; expected one of: human, json, sarif, github, markdown, junit"
            )),
        }
    }
}

/// One `--format FORMAT[=PATH]` request: where a format goes (`None` or `-`: stdout).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatRequest {
    pub format: Format,
    pub path: Option<String>,
}

impl FromStr for FormatRequest {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (format, path) = match text.split_once('=') {
            Some((format, path)) if !path.is_empty() => (format, Some(path.to_string())),
            Some((_, _)) => return Err(format!("`{text}`: the path after `=` is empty")),
            None => (text, None),
        };
        let path = path.filter(|p| p != "-");
        Ok(FormatRequest {
            format: format.parse()?,
            path,
        })
    }
}

/// Where the scanned root lies inside the repository GitHub sees, such as `services/api`
/// (empty for the repository root). Formats that GitHub reads (annotations and SARIF)
/// name files from the repository root, so their paths carry this prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoPrefix(String);

impl RepoPrefix {
    pub fn new(prefix: &str) -> Self {
        let trimmed = prefix.trim_start_matches("./").trim_matches('/');
        match trimmed {
            "." => Self::default(),
            other => Self(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A report path (relative to the scanned root) as a repository path. An absolute
    /// path (a config outside the root) stays as it is.
    pub fn apply(&self, path: &str) -> String {
        match self.0.is_empty() || path.starts_with('/') {
            true => path.to_string(),
            false => format!("{}/{path}", self.0),
        }
    }
}

/// Where a finding is, as `path:line:column`, or the path alone when it has no span.
pub fn place(location: &crate::findings::Location) -> String {
    match location.span {
        Some(span) => format!("{}:{}:{}", location.path, span.line, span.column),
        None => location.path.clone(),
    }
}

/// The report with the secrets in its text redacted, before any format lays it out. The
/// final pass over each output is not enough on its own: a format that wraps long lines
/// can split a webhook URL where that pass no longer recognises it.
///
/// Names and messages also lose their control characters: a job id or step name written
/// with a newline or an escape sequence must not start a line of its own in a log (where
/// the Actions runner would read `::command::` from it) or repaint a terminal.
pub fn redacted(report: &Report) -> Report {
    let clean = |text: &String| one_line(&redact(text));
    let clean_block = |text: &String| without_controls(&redact(text));
    let mut report = report.clone();
    for finding in &mut report.findings {
        finding.message = clean(&finding.message);
        finding.suggestion = finding.suggestion.as_ref().map(clean_block);
        finding.fix_hint = finding.fix_hint.as_ref().map(clean);
        finding.job = finding.job.as_ref().map(clean);
        for (_, label) in &mut finding.related {
            *label = clean(label);
        }
    }
    for workflow in &mut report.workflows {
        workflow.name = workflow.name.as_ref().map(clean);
        for job in &mut workflow.jobs {
            job.id = clean(&job.id);
            if let Some(by) = &mut job.alerted_by {
                by.description = clean(&by.description);
            }
        }
    }
    report
}

/// Every control character, line breaks included, as a space.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Every control character but the line break as a space.
fn without_controls(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}
