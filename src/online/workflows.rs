//! `workflow-disabled`: every critical workflow must be `active` on GitHub. A disabled
//! workflow never runs, so it never fails and never alerts, whatever its file says.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{Context, Outcome, WORKFLOW_STATE};
use crate::findings::{
    CheckStatus, Finding, Location, Severity, WorkflowReport, WorkflowStateEvidence,
};

/// One entry of the repository's workflow list, as GitHub documents it.
#[derive(Clone, Debug, Deserialize)]
pub struct ListedWorkflow {
    pub id: u64,
    pub path: String,
    pub state: String,
    pub created_at: Option<DateTime<Utc>>,
}

pub struct Checked {
    pub outcome: Outcome,
    pub evidence: Vec<WorkflowStateEvidence>,
    /// The whole list, for the schedule check, or why it could not be read.
    pub listed: Result<Vec<ListedWorkflow>, String>,
}

pub async fn check(context: &Context<'_>, critical: &[&WorkflowReport]) -> Checked {
    if critical.is_empty() {
        return Checked {
            outcome: Outcome::new(WORKFLOW_STATE, CheckStatus::Pass, ""),
            evidence: Vec::new(),
            listed: Ok(Vec::new()),
        };
    }
    let path = context.repo_path("/actions/workflows");
    let listed: Vec<ListedWorkflow> = match context.client.get_all(&path, "workflows").await {
        Ok(listed) => listed,
        Err(e) => {
            let reason = context.explain(&e, "list the repository's workflows");
            return Checked {
                outcome: Outcome::new(WORKFLOW_STATE, CheckStatus::Unverified, reason.clone()),
                evidence: Vec::new(),
                listed: Err(reason),
            };
        }
    };
    let mut evidence = Vec::new();
    let mut findings = Vec::new();
    for workflow in critical {
        let on_github = listed.iter().find(|l| l.path == workflow.path);
        evidence.push(WorkflowStateEvidence {
            path: workflow.path.clone(),
            id: on_github.map(|l| l.id),
            state: on_github.map(|l| l.state.clone()),
        });
        match on_github {
            Some(listed) if listed.state == "active" => {}
            Some(listed) => findings.push(disabled(workflow, &listed.state)),
            None => findings.push(unknown_to_github(workflow)),
        }
    }
    let disabled = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let outcome = match disabled {
        0 => Outcome::new(
            WORKFLOW_STATE,
            CheckStatus::Pass,
            format!(
                "{} critical workflow(s) checked, none disabled",
                critical.len()
            ),
        ),
        n => Outcome::new(
            WORKFLOW_STATE,
            CheckStatus::Fail,
            format!("{n} critical workflow(s) are disabled on GitHub"),
        ),
    };
    Checked {
        outcome: outcome.with_findings(findings),
        evidence,
        listed: Ok(listed),
    }
}

fn disabled(workflow: &WorkflowReport, state: &str) -> Finding {
    let why = match state {
        "disabled_inactivity" => {
            "GitHub disabled it because the repository had no activity for 60 days"
        }
        "disabled_manually" => "someone disabled it by hand",
        "disabled_fork" => "workflows of a fork stay disabled until enabled in the fork",
        _ => "GitHub does not run it in this state",
    };
    let message = format!(
        "this critical workflow is `{state}` on GitHub ({why}): it never runs, so it never \
         fails and never alerts. Enable it (`gh workflow enable {}`)",
        file_name(&workflow.path)
    );
    Finding::new(
        "workflow-disabled",
        Severity::Error,
        message,
        Location::at(&workflow.path, crate::route!["on"]),
    )
}

/// A file GitHub does not list has never been on the default branch: expected for a new
/// workflow under review, so a warning rather than an error.
fn unknown_to_github(workflow: &WorkflowReport) -> Finding {
    let message = "GitHub does not list this critical workflow: it has never been on the \
                   repository's default branch, so it has never run there. Scheduled workflows \
                   run only from the default branch"
        .to_string();
    Finding::new(
        "workflow-disabled",
        Severity::Warning,
        message,
        Location::at(&workflow.path, crate::route!["on"]),
    )
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
