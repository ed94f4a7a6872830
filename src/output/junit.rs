//! `--format junit`: JUnit XML for CI systems that show test reports (GitLab, Jenkins,
//! Azure DevOps). Each critical job is a test case: it fails when it is not alerted or
//! an open error is about it, and is skipped when unverified or waived. Errors that
//! belong to no critical job (a broken file, a hard-coded webhook) are test cases of
//! their own, so the report fails exactly when the control does. Each online check, when
//! the run made any, is one more test case.

use quick_xml::escape::escape;

use crate::findings::{CheckStatus, Finding, JobReport, Report, Verdict, WorkflowReport};
use crate::rules::Catalogue;

/// One `<testcase>`: its outcome, and the text that explains it.
struct Case {
    classname: String,
    name: String,
    file: Option<String>,
    line: Option<usize>,
    outcome: Outcome,
}

enum Outcome {
    Passed,
    Failed {
        kind: String,
        message: String,
        detail: String,
    },
    Skipped {
        message: String,
    },
}

pub fn render(report: &Report) -> String {
    let control = &Catalogue::builtin().control.control;
    let mut suites = vec![suite(
        &format!("{} {}", control.id, control.title),
        &control_cases(report),
    )];
    if report.online.as_ref().is_some_and(|o| !o.checks.is_empty()) {
        suites.push(suite(
            &format!("{} online checks", control.id),
            &online_cases(report),
        ));
    }
    let totals = suites
        .iter()
        .fold((0, 0, 0), |t, (_, c)| (t.0 + c.0, t.1 + c.1, t.2 + c.2));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"alertlint\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n",
        totals.0, totals.1, totals.2
    ));
    for (text, _) in &suites {
        out.push_str(text);
    }
    out.push_str("</testsuites>\n");
    out
}

fn control_cases(report: &Report) -> Vec<Case> {
    let mut cases: Vec<Case> = report
        .workflows
        .iter()
        .filter(|w| w.critical)
        .flat_map(|w| w.jobs.iter().map(move |j| job_case(report, w, j)))
        .collect();
    let loose = report
        .findings
        .iter()
        .filter(|f| f.severity == crate::findings::Severity::Error)
        .filter(|f| !belongs_to_critical_job(report, f));
    cases.extend(loose.map(finding_case));
    cases
}

fn job_case(report: &Report, workflow: &WorkflowReport, job: &JobReport) -> Case {
    let errors: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.location.path == workflow.path && f.job.as_deref() == Some(job.id.as_str()))
        .filter(|f| f.is_open_error())
        .collect();
    let detail = errors
        .iter()
        .map(|f| format!("{} [{}] {}", super::place(&f.location), f.rule, f.message))
        .collect::<Vec<_>>()
        .join("\n");
    let outcome = match (report.job_waiver(workflow, job), job.verdict) {
        (Some(waiver), _) => Outcome::Skipped {
            message: format!("{}: {}", job.verdict.as_str(), waiver.summary()),
        },
        (None, Verdict::Unverified) => Outcome::Skipped {
            message: format!("job `{}` could not be verified offline", job.id),
        },
        (None, Verdict::NotAlerted) => Outcome::Failed {
            kind: "not-alerted".to_string(),
            message: format!("a failure of job `{}` reaches nobody", job.id),
            detail,
        },
        (None, _) if !errors.is_empty() => Outcome::Failed {
            kind: errors[0].rule.clone(),
            message: errors[0].message.clone(),
            detail,
        },
        (None, _) => Outcome::Passed,
    };
    Case {
        classname: workflow.path.clone(),
        name: job.id.clone(),
        file: Some(workflow.path.clone()),
        line: job.location.span.map(|s| s.line),
        outcome,
    }
}

fn belongs_to_critical_job(report: &Report, finding: &Finding) -> bool {
    let Some(job) = &finding.job else {
        return false;
    };
    report
        .critical_jobs()
        .any(|(w, j)| w.path == finding.location.path && &j.id == job)
}

fn finding_case(finding: &Finding) -> Case {
    let outcome = match &finding.waiver {
        Some(waiver) if finding.is_waived() => Outcome::Skipped {
            message: waiver.summary(),
        },
        _ => Outcome::Failed {
            kind: finding.rule.clone(),
            message: finding.message.clone(),
            detail: super::place(&finding.location),
        },
    };
    Case {
        classname: finding.location.path.clone(),
        name: format!("{} at {}", finding.rule, super::place(&finding.location)),
        file: Some(finding.location.path.clone()),
        line: finding.location.span.map(|s| s.line),
        outcome,
    }
}

/// One testcase per online check; a check that could not finish fails, since it leaves
/// the control unverified, while one skipped on request is skipped.
fn online_cases(report: &Report) -> Vec<Case> {
    let Some(online) = &report.online else {
        return Vec::new();
    };
    online
        .checks
        .iter()
        .map(|check| Case {
            classname: "online".to_string(),
            name: check.id.clone(),
            file: None,
            line: None,
            outcome: match check.status {
                CheckStatus::Pass => Outcome::Passed,
                CheckStatus::Fail | CheckStatus::Unverified => Outcome::Failed {
                    kind: format!("online-check-{}", check.status.as_str()),
                    message: check.reason.clone(),
                    detail: String::new(),
                },
                CheckStatus::Skipped => Outcome::Skipped {
                    message: check.reason.clone(),
                },
            },
        })
        .collect()
}

/// A `<testsuite>` and its counts of tests, failures and skips.
fn suite(name: &str, cases: &[Case]) -> (String, (usize, usize, usize)) {
    let failures = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Failed { .. }))
        .count();
    let skipped = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Skipped { .. }))
        .count();
    let mut out = format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n",
        xml(name),
        cases.len()
    );
    for case in cases {
        out.push_str(&testcase(case));
    }
    out.push_str("  </testsuite>\n");
    (out, (cases.len(), failures, skipped))
}

fn testcase(case: &Case) -> String {
    let mut attributes = format!(
        "classname=\"{}\" name=\"{}\"",
        xml(&case.classname),
        xml(&case.name)
    );
    if let Some(file) = &case.file {
        attributes.push_str(&format!(" file=\"{}\"", xml(file)));
    }
    if let Some(line) = case.line {
        attributes.push_str(&format!(" line=\"{line}\""));
    }
    match &case.outcome {
        Outcome::Passed => format!("    <testcase {attributes}/>\n"),
        Outcome::Failed {
            kind,
            message,
            detail,
        } => format!(
            "    <testcase {attributes}>\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
            xml(kind),
            xml(message),
            xml(detail)
        ),
        Outcome::Skipped { message } => format!(
            "    <testcase {attributes}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
            xml(message)
        ),
    }
}

/// Text for an attribute or element. XML 1.0 cannot carry most control characters even
/// escaped, so they are dropped; line breaks in attributes are kept as references.
fn xml(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    escape(&kept).replace('\n', "&#10;").replace('\t', "&#9;")
}
