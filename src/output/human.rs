//! The default output: a diagnostic with a source snippet for each finding, the YAML that
//! would fix it, a summary table, and one closing line with the control's status.

use comfy_table::{Cell, ContentArrangement, Table, presets};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};

use crate::findings::{Finding, Report, Severity, Status, Verdict};
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
    out.push_str(&closing_line(report));
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
    let mut diagnostic = MietteDiagnostic::new(finding.message.clone())
        .with_code(format!("{} ({place})", finding.rule))
        .with_severity(severity);
    if let Some(rule) = catalogue.rule(&finding.rule) {
        diagnostic = diagnostic.with_help(rule.title.clone());
    }
    // Masked byte for byte, so that spans still fit: a snippet must not print the very
    // webhook URL its finding is about.
    let text = repo
        .source(&finding.location.path)
        .map(|s| crate::redact::mask(s.text()).into_owned());
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
            let status = match workflow.status {
                Status::Fail => "fail (unreadable)",
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
        Status::Unverified => format!(
            "{} of {} critical jobs could not be verified",
            count(Verdict::Unverified),
            jobs.len()
        ),
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
