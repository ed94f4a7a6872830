//! The default output: a diagnostic with a source snippet for each finding, the YAML that
//! would fix it, a summary table, and one closing line with the control's status.

use comfy_table::{Cell, ContentArrangement, Table, presets};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};

use crate::findings::{CheckStatus, Finding, OnlineReport, Report, Severity, Status, Verdict};
use crate::repo::Repository;
use crate::rules::Catalogue;

pub struct HumanOptions {
    pub color: bool,
    pub width: usize,
}

pub fn render(report: &Report, repo: &Repository, options: &HumanOptions) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        out.push_str(&diagnostic(finding, repo, options));
    }
    if report.workflows.is_empty() {
        out.push_str("No workflow files found under .github/workflows.\n\n");
    } else {
        out.push_str(&summary_table(report, options));
        out.push('\n');
    }
    if let Some(online) = &report.online {
        out.push_str(&online_block(online, options.width));
    }
    out.push_str(&closing_line(report));
    out.push('\n');
    out
}

/// What the online checks did: each status with its checks, then the reason, once for
/// all the checks that share it.
fn online_block(online: &OnlineReport, width: usize) -> String {
    if online.offline_requested {
        return "Online checks: skipped, as --offline asks.\n\n".to_string();
    }
    let mut out = match &online.repository {
        Some(repository) => format!(
            "Online checks for {repository} ({} request{} to the GitHub API):\n",
            online.requests,
            if online.requests == 1 { "" } else { "s" }
        ),
        None => "Online checks:\n".to_string(),
    };
    let mut groups: Vec<(CheckStatus, &str, Vec<&str>)> = Vec::new();
    for check in &online.checks {
        match groups
            .iter_mut()
            .find(|(status, reason, _)| *status == check.status && *reason == check.reason)
        {
            Some((_, _, ids)) => ids.push(&check.id),
            None => groups.push((check.status, &check.reason, vec![&check.id])),
        }
    }
    let indent = " ".repeat(13);
    let wrap = textwrap::Options::new(width.max(40))
        .initial_indent(&indent)
        .subsequent_indent(&indent);
    for (status, reason, ids) in groups {
        out.push_str(&format!("  {:<10} {}\n", status.as_str(), ids.join(", ")));
        for line in textwrap::wrap(reason, &wrap) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out.push('\n');
    out
}

fn diagnostic(finding: &Finding, repo: &Repository, options: &HumanOptions) -> String {
    let catalogue = Catalogue::builtin();
    let severity = match finding.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    };
    let place = match finding.location.span {
        Some(span) => format!("{}:{}:{}", finding.location.path, span.line, span.column),
        None => finding.location.path.clone(),
    };
    let code = match place.is_empty() {
        true => finding.rule.clone(),
        false => format!("{} ({place})", finding.rule),
    };
    let mut diagnostic = MietteDiagnostic::new(finding.message.clone())
        .with_code(code)
        .with_severity(severity);
    if let Some(rule) = catalogue.rule(&finding.rule) {
        diagnostic = diagnostic.with_help(rule.title.clone());
    }
    let text = repo
        .source(&finding.location.path)
        .map(|s| s.text().to_string());
    if let (Some(span), Some(text)) = (finding.location.span, &text) {
        let start = span.start_byte.min(text.len());
        let length = first_line_length(text, start, span.end_byte);
        diagnostic =
            diagnostic.with_label(LabeledSpan::at(start..start + length, finding.rule.clone()));
    }
    let mut report = miette::Report::new(diagnostic);
    if let Some(text) = text.filter(|_| finding.location.span.is_some()) {
        report = report.with_source_code(NamedSource::new(finding.location.path.clone(), text));
    }
    let theme = match options.color {
        true => GraphicalTheme::unicode(),
        false => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_context_lines(2)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("{}: {} [{}]\n", place, finding.message, finding.rule);
    }
    if let Some(suggestion) = &finding.suggestion {
        out.push_str(&format!(
            "  fix: write this in {} (shown with its indentation):\n",
            finding.location.path
        ));
        for line in suggestion.lines() {
            out.push_str(&format!("    | {line}\n"));
        }
    }
    out.push('\n');
    out
}

/// Labels that span many lines drown the snippet; the first line is enough to point.
fn first_line_length(text: &str, start: usize, end: usize) -> usize {
    let end = end.clamp(start, text.len());
    let slice = &text[start..end];
    let first = slice.find('\n').map_or(slice.len(), |p| p);
    first.max(usize::from(start < text.len()))
}

fn summary_table(report: &Report, options: &HumanOptions) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(options.width as u16)
        .set_header(vec!["Workflow", "Job", "Critical", "Alerted by", "Status"]);
    for workflow in &report.workflows {
        if !workflow.critical {
            let unreadable = report.findings.iter().any(|f| {
                f.location.path == workflow.path
                    && matches!(
                        f.rule.as_str(),
                        "workflow-parse-error" | "workflow-too-large"
                    )
            });
            let status = match workflow.status {
                Status::Fail if unreadable => "fail (unreadable)",
                Status::Fail => "has errors",
                _ => "not critical",
            };
            table.add_row(vec![
                Cell::new(&workflow.path),
                Cell::new("-"),
                Cell::new("no"),
                Cell::new("-"),
                Cell::new(status),
            ]);
            continue;
        }
        for job in &workflow.jobs {
            let by = match &job.alerted_by {
                Some(by) => format!("{}: {}", by.kind.as_str(), by.description),
                None if job.verdict == Verdict::AlertRoute => "(is an alert route)".to_string(),
                None => "-".to_string(),
            };
            table.add_row(vec![
                Cell::new(&workflow.path),
                Cell::new(&job.id),
                Cell::new("yes"),
                Cell::new(by),
                Cell::new(job.verdict.as_str()),
            ]);
        }
    }
    format!("{table}\n")
}

/// The one line a reader looks for first.
pub fn closing_line(report: &Report) -> String {
    let control = &Catalogue::builtin().control.control;
    let jobs: Vec<_> = report
        .critical_jobs()
        .filter(|(_, j)| j.verdict != Verdict::AlertRoute)
        .collect();
    let count = |verdict: Verdict| jobs.iter().filter(|(_, j)| j.verdict == verdict).count();
    let errors = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let detail = match report.status {
        Status::Fail if count(Verdict::NotAlerted) > 0 => {
            format!(
                "{} of {} critical jobs are not alerted",
                count(Verdict::NotAlerted),
                jobs.len()
            )
        }
        Status::Fail => format!("{errors} error{} found", if errors == 1 { "" } else { "s" }),
        Status::Unverified if count(Verdict::Unverified) > 0 => format!(
            "{} of {} critical jobs could not be verified",
            count(Verdict::Unverified),
            jobs.len()
        ),
        Status::Unverified => {
            let open = report.online.as_ref().map_or(0, |o| {
                o.checks.iter().filter(|c| c.status.is_open()).count()
            });
            format!(
                "{} of {} critical jobs are alerted, but {open} online check{} could not run",
                count(Verdict::Alerted),
                jobs.len(),
                if open == 1 { "" } else { "s" }
            )
        }
        _ if jobs.is_empty() => "no critical workflows found".to_string(),
        _ => format!(
            "{} of {} critical jobs are alerted",
            count(Verdict::Alerted),
            jobs.len()
        ),
    };
    let status = report.status.as_str().to_ascii_uppercase();
    format!("{} {}: {status} ({detail})", control.id, control.title)
}
