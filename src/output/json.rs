//! `--format json`: the stable machine contract, documented in the README. Fields are
//! only ever added; `schema_version` changes if one is removed or changes meaning.

use serde_json::{Value, json};

use crate::findings::{
    Finding, JobReport, Location, OnlineReport, Report, ScheduleEvidence, SecretEvidence, Waiver,
    WorkflowReport,
};
use crate::rules::Catalogue;

pub const SCHEMA_VERSION: u64 = 1;

pub fn render(report: &Report) -> String {
    let control = &Catalogue::builtin().control.control;
    let document = json!({
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION")},
        "control": {"id": control.id, "title": control.title, "status": report.status.as_str()},
        "workflows": report.workflows.iter().map(|w| workflow(report, w)).collect::<Vec<_>>(),
        "findings": report.findings.iter().map(finding).collect::<Vec<_>>(),
        "secrets": report.online.iter().flat_map(|o| o.secrets.iter().map(secret)).collect::<Vec<_>>(),
        "online": report.online.as_ref().map(online),
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn workflow(report: &Report, workflow: &WorkflowReport) -> Value {
    json!({
        "path": workflow.path,
        "name": workflow.name,
        "critical": workflow.critical,
        "status": workflow.status.as_str(),
        "jobs": workflow.jobs.iter().map(|j| job(report, workflow, j)).collect::<Vec<_>>(),
    })
}

fn job(report: &Report, workflow: &WorkflowReport, job: &JobReport) -> Value {
    let alerted_by = job.alerted_by.as_ref().map(|by| {
        json!({
            "kind": by.kind.as_str(),
            "path": by.location.path,
            "line": line(&by.location),
            "description": by.description,
        })
    });
    json!({
        "id": job.id,
        "verdict": job.verdict.as_str(),
        "alerted": job.verdict == crate::findings::Verdict::Alerted,
        "alerted_by": alerted_by,
        "line": line(&job.location),
        "waived": report.job_waiver(workflow, job).is_some(),
    })
}

fn finding(finding: &Finding) -> Value {
    let span = finding.location.span;
    json!({
        "rule": finding.rule,
        "severity": finding.severity.as_str(),
        "message": finding.message,
        "path": finding.location.path,
        "line": span.map(|s| s.line),
        "column": span.map(|s| s.column),
        "end_line": span.map(|s| s.end_line),
        "end_column": span.map(|s| s.end_column),
        "route": finding.location.route_text(),
        "job": finding.job,
        "suggestion": finding.suggestion,
        "fix_hint": finding.fix_hint,
        "status": if finding.is_waived() { "waived" } else { "open" },
        "waiver": finding.waiver.as_ref().map(waiver),
    })
}

fn waiver(waiver: &Waiver) -> Value {
    json!({
        "source": waiver.source.as_str(),
        "reason": waiver.reason,
        "approved_by": waiver.approved_by,
        "expires": waiver.expires,
        "expired": waiver.expired,
        "path": waiver.location.path,
        "line": line(&waiver.location),
    })
}

fn secret(secret: &SecretEvidence) -> Value {
    json!({
        "name": secret.name,
        "scope": secret.scope,
        "environment": secret.environment,
        "found": secret.found,
        "created_at": secret.created_at,
        "updated_at": secret.updated_at,
    })
}

fn online(online: &OnlineReport) -> Value {
    let checks: Vec<Value> = online
        .checks
        .iter()
        .map(|c| json!({"id": c.id, "status": c.status.as_str(), "reason": c.reason}))
        .collect();
    let workflows: Vec<Value> = online
        .workflows
        .iter()
        .map(|w| json!({"path": w.path, "id": w.id, "state": w.state}))
        .collect();
    json!({
        "offline": online.offline_requested,
        "repository": online.repository,
        "requests": online.requests,
        "checks": checks,
        "workflows": workflows,
        "schedules": online.schedules.iter().map(schedule).collect::<Vec<_>>(),
    })
}

fn schedule(schedule: &ScheduleEvidence) -> Value {
    let newest_run = schedule.newest_run.as_ref().map(|run| {
        json!({
            "id": run.id,
            "status": run.status,
            "conclusion": run.conclusion,
            "url": run.url,
            "created_at": run.created_at,
            "age_seconds": run.age_seconds,
        })
    });
    json!({
        "path": schedule.path,
        "crons": schedule.crons,
        "status": schedule.status.as_str(),
        "longest_gap_seconds": schedule.longest_gap_seconds,
        "grace_seconds": schedule.grace_seconds,
        "newest_run": newest_run,
    })
}

fn line(location: &Location) -> Option<usize> {
    location.span.map(|s| s.line)
}
