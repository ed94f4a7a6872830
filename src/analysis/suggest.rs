//! The findings that come with a fix-up: the exact YAML to add or change, indented to fit
//! the file it goes into.

use super::model::{JobBody, JobModel};
use super::routes::DeadAlert;
use super::secrets::UnpassedSecret;
use crate::findings::{Finding, Location, Severity};
use crate::repo::Repository;

/// A job whose failure reaches nobody, with the step (or job) that would close the gap.
pub fn missing_alert(
    repo: &Repository,
    job: &JobModel,
    late_steps: &[(Location, String)],
) -> Finding {
    let reason = match late_steps.is_empty() {
        true => {
            "no alert step in it, no job that needs it and no workflow_run listener fires for that failure"
        }
        false => "its alert step runs before a step that can still fail",
    };
    let message = format!("a failure of job `{}` reaches nobody: {reason}", job.id);
    let (suggestion, hint) = match &job.body {
        JobBody::Steps(steps) => (
            steps
                .last()
                .and_then(|last| indent_of(repo, &last.location))
                .map(alert_step),
            format!("add as the last step of job `{}`", job.id),
        ),
        _ => (
            indent_of(repo, &job.location).map(|indent| notify_job(indent, &job.id)),
            "add as a new job in this workflow".to_string(),
        ),
    };
    Finding::new(
        "missing-failure-alert",
        Severity::Error,
        message,
        job.location.clone(),
    )
    .for_job(&job.id)
    .with_suggestion(suggestion)
    .with_fix_hint(hint)
}

/// An alert that exists but cannot fire after a failure.
pub fn never_fires(repo: &Repository, job: &JobModel, dead: &DeadAlert) -> Finding {
    let location = &dead.location;
    if let Some(callee) = &dead.inside_callee {
        let message = format!(
            "the alert for job `{}` never fires on its failure: inside the reusable workflow {callee}, \
             status functions such as `{}` see only that workflow's own jobs, never the caller's, so \
             it is false when the caller failed. Run the alert with `always()` and pass the caller's \
             result in as an input, e.g. `status: ${{{{ needs.{}.result }}}}`",
            job.id,
            dead.condition.trim(),
            job.id
        );
        return Finding::new(
            "alert-condition-never-fires",
            Severity::Error,
            message,
            location.clone(),
        )
        .for_job(&job.id);
    }
    let written = match dead.condition.trim().is_empty() {
        true => "it has no `if:`, so GitHub runs it only while everything succeeds".to_string(),
        false => format!(
            "its condition `{}` is false once something has failed",
            dead.condition.trim()
        ),
    };
    let message = format!(
        "the alert for job `{}` never fires on a failure: {written}",
        job.id
    );
    let suggestion =
        key_indent(repo, location).map(|indent| format!("{indent}if: failure() || cancelled()\n"));
    Finding::new(
        "alert-condition-never-fires",
        Severity::Error,
        message,
        location.clone(),
    )
    .for_job(&job.id)
    .with_suggestion(suggestion)
    .with_fix_hint("use this as the alert's `if:`")
}

/// An alert that fires on `failure()` alone, for the jobs that rely on it.
pub fn misses_timeout(
    repo: &Repository,
    gate: Location,
    jobs: &[String],
    explicit: bool,
) -> Finding {
    let names = jobs
        .iter()
        .map(|j| format!("`{j}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let (severity, why) = match explicit {
        true => (
            Severity::Warning,
            "a job here sets `timeout-minutes`, and a job that runs past it",
        ),
        false => (
            Severity::Note,
            "a job that runs past the default 360-minute timeout",
        ),
    };
    let message = format!(
        "this alert does not fire when {names} times out or is cancelled: {why} is cancelled, not failed, \
         so `failure()` is false and the alert is skipped"
    );
    let suggestion =
        key_indent(repo, &gate).map(|indent| format!("{indent}if: failure() || cancelled()\n"));
    let job = jobs.first().cloned().unwrap_or_default();
    Finding::new("alert-misses-timeout", severity, message, gate)
        .for_job(&job)
        .with_suggestion(suggestion)
        .with_fix_hint("use this as the alert's `if:`")
}

/// A secret a reusable workflow reads but its caller never passes. The finding points at
/// the calling job, where the fix goes, and names the place that reads it.
pub fn unpassed_secret(repo: &Repository, unpassed: &UnpassedSecret) -> Finding {
    let name = &unpassed.reference.name;
    let read_at = &unpassed.reference.location;
    let message = format!(
        "{} reads secret `{name}` (at {}) to send this alert, but this job calls it with neither \
         `secrets: inherit` nor an entry for `{name}`, so the secret is empty at run time and the \
         alert posts nowhere. Add `secrets: inherit` to this job, or pass it explicitly",
        read_at.path,
        read_at.route_text(),
    );
    let suggestion = key_indent(repo, &unpassed.call)
        .map(|pad| format!("{pad}secrets:\n{pad}  {name}: ${{{{ secrets.{name} }}}}\n"));
    Finding::new(
        "secret-missing",
        Severity::Error,
        message,
        unpassed.call.clone(),
    )
    .with_suggestion(suggestion)
    .with_fix_hint("add to the job that calls the reusable workflow")
    .with_related(read_at.clone(), "reads the secret here")
}

/// The indentation of the item at `location` (a list item's dash, or a mapping key).
fn indent_of(repo: &Repository, location: &Location) -> Option<usize> {
    let source = repo.source(&location.path)?;
    let span = source.span_of(&location.route)?;
    let line = source.text().lines().nth(span.line - 1)?;
    Some(line.chars().take_while(|c| *c == ' ').count())
}

/// The indentation of the keys inside the item at `location`: for `- name: x` the
/// column of `name`.
fn key_indent(repo: &Repository, location: &Location) -> Option<String> {
    let source = repo.source(&location.path)?;
    let span = source.span_of(&location.route)?;
    let line = source.text().lines().nth(span.line - 1)?;
    let dash = line.chars().take_while(|c| *c == ' ').count();
    let rest = &line[dash..];
    let width = match rest.strip_prefix('-') {
        Some(after) => dash + 1 + after.chars().take_while(|c| *c == ' ').count(),
        None => dash + 2,
    };
    Some(" ".repeat(width))
}

fn alert_step(dash: usize) -> String {
    let pad = " ".repeat(dash);
    let body = " ".repeat(dash + 2);
    format!(
        "{pad}- name: Alert on failure\n\
         {body}if: failure() || cancelled()\n\
         {body}uses: slackapi/slack-github-action@v2\n\
         {body}with:\n\
         {body}  webhook: ${{{{ secrets.SLACK_WEBHOOK_URL }}}}\n\
         {body}  webhook-type: incoming-webhook\n\
         {body}  errors: true\n\
         {body}  payload: |\n\
         {body}    text: \"${{{{ github.workflow }}}} / ${{{{ github.job }}}} ${{{{ job.status }}}}: ${{{{ github.server_url }}}}/${{{{ github.repository }}}}/actions/runs/${{{{ github.run_id }}}}\"\n"
    )
}

fn notify_job(indent: usize, job: &str) -> String {
    let pad = " ".repeat(indent);
    let body = " ".repeat(indent + 2);
    format!(
        "{pad}alert-on-failure:\n\
         {body}needs: [{job}]\n\
         {body}if: failure() || cancelled()\n\
         {body}runs-on: ubuntu-latest\n\
         {body}steps:\n\
         {body}  - uses: slackapi/slack-github-action@v2\n\
         {body}    with:\n\
         {body}      webhook: ${{{{ secrets.SLACK_WEBHOOK_URL }}}}\n\
         {body}      webhook-type: incoming-webhook\n\
         {body}      errors: true\n\
         {body}      payload: |\n\
         {body}        text: \"${{{{ github.workflow }}}} failed: ${{{{ github.server_url }}}}/${{{{ github.repository }}}}/actions/runs/${{{{ github.run_id }}}}\"\n"
    )
}
