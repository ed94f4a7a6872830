//! `--format markdown`: a compact summary for a pull request or `$GITHUB_STEP_SUMMARY`:
//! the control's status line, a table of critical jobs and their verdicts, and the
//! findings, waived ones included and marked as such.

use super::human::closing_line;
use crate::findings::{Finding, Report, Severity, Status, Verdict};

pub fn render(report: &Report) -> String {
    let mut out = format!(
        "### {} {}\n\n",
        status_mark(report.status),
        closing_line(report)
    );
    out.push_str(&jobs_table(report));
    out.push_str(&findings_list(report));
    out
}

fn status_mark(status: Status) -> &'static str {
    match status {
        Status::Pass | Status::NotCritical => "✅",
        Status::Fail => "❌",
        Status::Unverified => "❔",
    }
}

fn jobs_table(report: &Report) -> String {
    let rows: Vec<String> = report
        .workflows
        .iter()
        .filter(|w| w.critical)
        .flat_map(|w| w.jobs.iter().map(move |j| (w, j)))
        .map(|(workflow, job)| {
            let verdict = match report.job_waiver(workflow, job) {
                Some(_) => format!("{} (waived)", job.verdict.as_str()),
                None => job.verdict.as_str().to_string(),
            };
            let by = match &job.alerted_by {
                Some(by) => cell(&format!("{}: {}", by.kind.as_str(), by.description)),
                None if job.verdict == Verdict::AlertRoute => "is an alert route".to_string(),
                None => "-".to_string(),
            };
            format!(
                "| `{}` | `{}` | {} {verdict} | {by} |\n",
                cell(&workflow.path),
                cell(&job.id),
                verdict_mark(job.verdict, report.job_waiver(workflow, job).is_some()),
            )
        })
        .collect();
    if rows.is_empty() {
        return "No critical workflows were found.\n\n".to_string();
    }
    let mut table = "| Workflow | Job | Verdict | Alerted by |\n|---|---|---|---|\n".to_string();
    table.extend(rows);
    table.push('\n');
    table
}

fn verdict_mark(verdict: Verdict, waived: bool) -> &'static str {
    match (verdict, waived) {
        (_, true) => "➖",
        (Verdict::Alerted | Verdict::AlertRoute, _) => "✅",
        (Verdict::NotAlerted, _) => "❌",
        (Verdict::Unverified, _) => "❔",
    }
}

fn findings_list(report: &Report) -> String {
    if report.findings.is_empty() {
        return String::new();
    }
    let mut out = format!("#### Findings ({})\n\n", report.findings.len());
    for finding in &report.findings {
        out.push_str(&finding_item(finding));
    }
    out
}

fn finding_item(finding: &Finding) -> String {
    let severity = match (finding.is_waived(), finding.severity) {
        (true, _) => "waived",
        (false, Severity::Error) => "error",
        (false, Severity::Warning) => "warning",
        (false, Severity::Note) => "note",
    };
    let mut item = format!(
        "- **{severity}** `{}` at `{}`: {}\n",
        finding.rule,
        super::place(&finding.location),
        one_line(&finding.message)
    );
    if let Some(waiver) = &finding.waiver {
        item.push_str(&format!("  - {}\n", one_line(&waiver.summary())));
    }
    if let Some(hint) = &finding.fix_hint {
        item.push_str(&format!("  - fix: {}\n", one_line(hint)));
    }
    item
}

/// Text inside a table cell: a `|` would end the cell and a line break the row.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
