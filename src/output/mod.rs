//! Rendering a [`Report`](crate::findings::Report): one file per format. Nothing here
//! decides anything; it only shows what the analysis found.

pub mod human;
pub mod json;

use std::str::FromStr;

use crate::findings::Report;
use crate::redact::redact;

/// The formats `check` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "unknown format `{other}`; expected one of: human, json"
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

/// The report with the secrets in its text redacted, before any format lays it out. The
/// final pass over each output is not enough on its own: a format that wraps long lines
/// can split a webhook URL where that pass no longer recognises it.
pub fn redacted(report: &Report) -> Report {
    let clean = |text: &String| redact(text).into_owned();
    let mut report = report.clone();
    for finding in &mut report.findings {
        finding.message = clean(&finding.message);
        finding.suggestion = finding.suggestion.as_ref().map(clean);
        finding.fix_hint = finding.fix_hint.as_ref().map(clean);
        for (_, label) in &mut finding.related {
            *label = clean(label);
        }
    }
    for workflow in &mut report.workflows {
        workflow.name = workflow.name.as_ref().map(clean);
        for job in &mut workflow.jobs {
            if let Some(by) = &mut job.alerted_by {
                by.description = clean(&by.description);
            }
        }
    }
    report
}
