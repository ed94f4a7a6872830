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
    let text = render_unguarded(report, repo, options);
    guard_workflow_commands(&text)
}

/// The Actions runner reads any log line that starts with `::` as a command. A line of
/// the report that would (a source snippet of a hostile file can) gets a visible mark
/// in front, so that only the `github` format ever issues commands.
fn guard_workflow_commands(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("::") {
            out.push_str("» ");
        }
        out.push_str(line);
    }
    out
}

fn render_unguarded(report: &Report, repo: &Repository, options: &HumanOptions) -> String {
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

pub fn diagnostic(finding: &Finding, repo: &Repository, options: &HumanOptions) -> String {
    let catalogue = Catalogue::builtin();
    let severity = match (finding.is_waived(), finding.severity) {
        (true, _) | (false, Severity::Note) => miette::Severity::Advice,
        (false, Severity::Error) => miette::Severity::Error,
        (false, Severity::Warning) => miette::Severity::Warning,
    };
    let place = super::place(&finding.location);
    let code = match (place.is_empty(), finding.is_waived()) {
        (true, false) => finding.rule.clone(),
        (true, true) => format!("{} (waived)", finding.rule),
        (false, false) => format!("{} ({place})", finding.rule),
        (false, true) => format!("{} ({place}, waived)", finding.rule),
    };
    let mut diagnostic = MietteDiagnostic::new(finding.message.clone())
        .with_code(code)
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
    if let Some(waiver) = &finding.waiver {
        out.push_str(&format!("  {}\n", waiver.summary()));
    }
    if let Some(suggestion) = &finding.suggestion {
        let hint = finding.fix_hint.as_deref().unwrap_or("write this");
        out.push_str(&format!(
            "  fix: {hint}, in {}:
",
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
                Status::Fail if unreadable => "not critical, unreadable",
                Status::Fail => "not critical, has errors",
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
            let verdict = match report.job_waiver(workflow, job) {
                Some(_) => format!("{} (waived)", job.verdict.as_str()),
                None => job.verdict.as_str().to_string(),
            };
            table.add_row(vec![
                Cell::new(&workflow.path),
                Cell::new(&job.id),
                Cell::new("yes"),
                Cell::new(by),
                Cell::new(verdict),
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
    let waived = jobs
        .iter()
        .filter(|(w, j)| report.job_waiver(w, j).is_some())
        .count();
    let count = |verdict: Verdict| {
        jobs.iter()
            .filter(|(w, j)| j.verdict == verdict && report.job_waiver(w, j).is_none())
            .count()
    };
    let errors = report.findings.iter().filter(|f| f.is_open_error()).count();
    let detail = match report.status {
        Status::Fail if count(Verdict::NotAlerted) > 0 => {
            format!(
                "{} not alerted",
                of_jobs(count(Verdict::NotAlerted), jobs.len())
            )
        }
        Status::Fail => format!("{errors} error{} found", if errors == 1 { "" } else { "s" }),
        Status::Unverified if count(Verdict::Unverified) > 0 => format!(
            "{} not verified",
            of_jobs(count(Verdict::Unverified), jobs.len())
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
        _ => format!("{} alerted", of_jobs(count(Verdict::Alerted), jobs.len())),
    };
    let detail = match waived {
        0 => detail,
        n => format!("{detail}; {n} waived"),
    };
    let status = report.status.as_str().to_ascii_uppercase();
    format!("{} {}: {status} ({detail})", control.id, control.title)
}

/// "1 of 1 critical job is", "2 of 5 critical jobs are".
fn of_jobs(count: usize, total: usize) -> String {
    match total {
        1 => format!("{count} of 1 critical job is"),
        _ => format!("{count} of {total} critical jobs are"),
    }
}
