//! `schedule-stale`: the newest scheduled run of each scheduled critical workflow must be
//! younger than the longest gap between two firings of its crons plus a grace period. A
//! schedule that stopped firing fails no step, so only its age can tell.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::workflows::ListedWorkflow;
use super::{Context, Outcome, SCHEDULES, cron};
use crate::findings::{
    CheckStatus, Finding, Location, RunEvidence, ScheduleEvidence, Severity, WorkflowReport,
};

/// A page of a workflow's runs, as GitHub documents it.
#[derive(Debug, Deserialize)]
struct RunList {
    workflow_runs: Vec<Run>,
}

#[derive(Debug, Deserialize)]
struct Run {
    id: u64,
    status: Option<String>,
    conclusion: Option<String>,
    created_at: DateTime<Utc>,
    html_url: String,
}

pub struct Checked {
    pub outcome: Outcome,
    pub evidence: Vec<ScheduleEvidence>,
}

/// One workflow's verdict, with the finding or the open question behind it.
struct Judged {
    evidence: ScheduleEvidence,
    finding: Option<Finding>,
    open: Option<String>,
}

/// Judges each scheduled workflow. `listed` is the repository's workflow list, or why it
/// could not be read; without it no run can be asked for, so the schedules stay open
/// for the same reason.
pub async fn check(
    context: &Context<'_>,
    scheduled: &[&WorkflowReport],
    listed: Result<&[ListedWorkflow], &String>,
    grace_seconds: i64,
) -> Checked {
    let mut evidence = Vec::new();
    let mut findings = Vec::new();
    let mut open = Vec::new();
    for workflow in scheduled {
        let on_github = listed.map(|l| l.iter().find(|l| l.path == workflow.path));
        let judged = judge(context, workflow, on_github, grace_seconds).await;
        evidence.push(judged.evidence);
        findings.extend(judged.finding);
        open.extend(judged.open);
    }
    let outcome = if !findings.is_empty() {
        Outcome::new(
            SCHEDULES,
            CheckStatus::Fail,
            format!("{} schedule(s) have not run on time", findings.len()),
        )
    } else if let Some(reason) = open.first() {
        Outcome::new(SCHEDULES, CheckStatus::Unverified, reason.clone())
    } else {
        let on_time = evidence
            .iter()
            .filter(|e| e.status == CheckStatus::Pass)
            .count();
        // A schedule left unchecked (its workflow is missing or disabled on GitHub) is
        // never a pass: the workflow-state finding says why, and this check stays open.
        match evidence.len() - on_time {
            0 => Outcome::new(
                SCHEDULES,
                CheckStatus::Pass,
                format!("{on_time} schedule(s) ran on time"),
            ),
            skipped => Outcome::new(
                SCHEDULES,
                CheckStatus::Unverified,
                format!(
                    "{on_time} schedule(s) ran on time; {skipped} could not be checked, see workflow-state"
                ),
            ),
        }
    };
    Checked {
        outcome: outcome.with_findings(findings),
        evidence,
    }
}

async fn judge(
    context: &Context<'_>,
    workflow: &WorkflowReport,
    on_github: Result<Option<&ListedWorkflow>, &String>,
    grace_seconds: i64,
) -> Judged {
    let mut evidence = ScheduleEvidence {
        path: workflow.path.clone(),
        crons: workflow.schedules.clone(),
        longest_gap_seconds: None,
        grace_seconds,
        newest_run: None,
        status: CheckStatus::Unverified,
    };
    let crons: Result<Vec<_>, String> = workflow.schedules.iter().map(|c| cron::parse(c)).collect();
    let crons = match crons {
        Ok(crons) => crons,
        Err(reason) => return open(evidence, format!("{}: {reason}", workflow.path)),
    };
    let Some(gap) = cron::longest_gap(&crons) else {
        evidence.status = CheckStatus::Fail;
        let message = "the crons of this schedule never fire (no such date), so the workflow \
                       never runs on schedule and never alerts";
        return Judged {
            finding: Some(stale(workflow, message.to_string())),
            evidence,
            open: None,
        };
    };
    evidence.longest_gap_seconds = Some(gap.num_seconds());
    let on_github = match on_github {
        Ok(on_github) => on_github,
        Err(unlisted) => return open(evidence, unlisted.clone()),
    };
    let Some(listed) = on_github else {
        evidence.status = CheckStatus::Skipped;
        return open_but_reported(evidence);
    };
    if listed.state != "active" {
        // Already a `workflow-disabled` error; its runs say nothing new.
        evidence.status = CheckStatus::Skipped;
        return open_but_reported(evidence);
    }
    let path = context.repo_path(&format!(
        "/actions/workflows/{}/runs?event=schedule&per_page=1",
        listed.id
    ));
    let runs: RunList = match context.client.get(&path).await {
        Ok(runs) => runs,
        Err(e) => {
            let reason = context.explain(&e, "list the scheduled runs of a workflow");
            return open(evidence, reason);
        }
    };
    let allowed = gap.num_seconds() + grace_seconds;
    let now = Utc::now();
    let newest = runs.workflow_runs.into_iter().next();
    evidence.newest_run = newest.as_ref().map(|run| RunEvidence {
        id: run.id,
        status: run.status.clone().unwrap_or_default(),
        conclusion: run.conclusion.clone(),
        url: run.html_url.clone(),
        created_at: run.created_at.to_rfc3339(),
        age_seconds: (now - run.created_at).num_seconds(),
    });
    let finding = match (&evidence.newest_run, listed.created_at) {
        (Some(run), _) if run.age_seconds > allowed => Some(stale(
            workflow,
            too_old(run, gap.num_seconds(), grace_seconds),
        )),
        (Some(_), _) => None,
        (None, Some(created)) if (now - created).num_seconds() <= allowed => None,
        (None, _) => Some(stale(
            workflow,
            format!(
                "GitHub has no scheduled run of this workflow at all, although its crons fire \
                 at least every {}; the schedule has never fired, or its runs were deleted",
                words(gap.num_seconds())
            ),
        )),
    };
    evidence.status = match finding {
        Some(_) => CheckStatus::Fail,
        None => CheckStatus::Pass,
    };
    Judged {
        evidence,
        finding,
        open: None,
    }
}

fn open(mut evidence: ScheduleEvidence, reason: String) -> Judged {
    evidence.status = CheckStatus::Unverified;
    Judged {
        evidence,
        finding: None,
        open: Some(reason),
    }
}

/// A schedule not checked because the workflow check already reported why.
fn open_but_reported(evidence: ScheduleEvidence) -> Judged {
    Judged {
        evidence,
        finding: None,
        open: None,
    }
}

fn too_old(run: &RunEvidence, gap: i64, grace: i64) -> String {
    let conclusion = match run.conclusion.as_deref() {
        Some(c @ ("failure" | "startup_failure" | "timed_out" | "cancelled")) => {
            format!(", and it ended `{c}`")
        }
        Some(c) => format!(", ending `{c}`"),
        None => String::new(),
    };
    format!(
        "the newest scheduled run started {} ago ({}{conclusion}), but the crons fire at least \
         every {} and {} of delay is allowed: GitHub has stopped running this schedule, and a \
         schedule that never starts fails no step and sends no alert",
        words(run.age_seconds),
        run.url,
        words(gap),
        words(grace)
    )
}

fn stale(workflow: &WorkflowReport, message: String) -> Finding {
    Finding::new(
        "schedule-stale",
        Severity::Error,
        message,
        Location::at(&workflow.path, crate::route!["on", "schedule"]),
    )
}

/// A duration as a person says it: `3 days 2 hours`, `45 minutes`.
fn words(seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let unit = |n: i64, one: &str| match n {
        1 => format!("1 {one}"),
        n => format!("{n} {one}s"),
    };
    let parts: Vec<String> = [(days, "day"), (hours, "hour"), (minutes, "minute")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, one)| unit(*n, one))
        .collect();
    match parts.is_empty() {
        true => "less than a minute".to_string(),
        false => parts.join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(words(90_000), "1 day 1 hour");
        assert_eq!(words(3600), "1 hour");
        assert_eq!(words(2700), "45 minutes");
        assert_eq!(words(20), "less than a minute");
    }
}
