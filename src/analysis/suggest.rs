//! The findings that come with a fix-up: the exact YAML to add or change, indented to fit
//! the file it goes into.

use super::condition::Condition;
use super::model::{JobBody, JobModel};
use super::routes::{DeadAlert, Found, Scope};
use super::secrets::UnpassedSecret;
use crate::findings::{Finding, Location, Severity};
use crate::repo::Repository;

/// A job whose failure reaches nobody, with the step (or job) that would close the gap.
pub fn missing_alert(repo: &Repository, job: &JobModel, found: &Found) -> Finding {
    let message = format!(
        "a failure of job `{}` reaches nobody: {}",
        job.id,
        why_not_alerted(found)
    );
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

/// The most specific reason a job is not alerted, in words.
fn why_not_alerted(found: &Found) -> String {
    if let Some((_, name)) = found.late_steps.first() {
        return format!("its alert step runs before step \"{name}\", which can still fail");
    }
    if let Some((_, name)) = found.hidden_failures.first() {
        return format!(
            "step \"{name}\" fails without failing the job (continue-on-error), and no alert reads its outcome"
        );
    }
    if let Some(name) = found.broken.first() {
        return format!(
            "its alert step \"{name}\" is set up so that it cannot deliver (see notifier-misconfigured)"
        );
    }
    if !found.never_fires.is_empty() {
        return "its alert exists but its condition is false when the job fails (see alert-condition-never-fires)".to_string();
    }
    if let Some((name, reason)) = found.look_alikes.first() {
        return format!(
            "step \"{name}\" looks like an alert but is not one: {}",
            reason.trim()
        );
    }
    "no step in it, no job that needs it and no workflow_run listener sends an alert for that failure".to_string()
}

/// An alert that exists but cannot fire after a failure.
pub fn never_fires(repo: &Repository, jobs: &[String], dead: &DeadAlert) -> Finding {
    let location = &dead.location;
    let names = jobs
        .iter()
        .map(|j| format!("`{j}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let first = jobs.first().cloned().unwrap_or_default();
    if let Some(scope) = &dead.inside {
        let (what, fix) = match scope {
            Scope::Callee(path) => (
                format!("the reusable workflow {path}"),
                format!(
                    "run the alert with `always()` and pass the caller's result in as an input, \
                     e.g. `status: ${{{{ needs.{first}.result }}}}`"
                ),
            ),
            Scope::Composite(key) => (
                format!("the composite action ./{key}"),
                "remove this `if:` and put `if: failure() || cancelled()` on the step that uses the action"
                    .to_string(),
            ),
        };
        let condition = dead.condition.trim();
        let message = match Condition::from_text(condition).has_status_function() {
            true => format!(
                "this alert never fires when {names} fails: inside {what}, status functions such as \
                 `{condition}` read only its own status, never the caller's, so the condition is false \
                 when the caller failed. To fix it, {fix}"
            ),
            false => format!(
                "this alert never fires when {names} fails: inside {what}, its condition `{condition}` \
                 is false with the inputs the calling job passes, so nothing is sent"
            ),
        };
        return Finding::new(
            "alert-condition-never-fires",
            Severity::Error,
            message,
            location.clone(),
        )
        .for_job(&first);
    }
    let condition = dead.condition.trim();
    let mut written = if condition.is_empty() {
        "it has no `if:`, so GitHub runs it only while everything before it succeeded".to_string()
    } else if !Condition::from_text(condition).has_status_function() {
        format!(
            "its `if: {condition}` has no status function, so GitHub reads it as `success() && ({condition})`, \
             which is false once something has failed"
        )
    } else {
        format!("its condition `{condition}` is false in that run")
    };
    if let Some(detail) = &dead.needs_detail {
        written.push_str(&format!(" (there, {detail})"));
    }
    let message = format!("this alert never fires when {names} fails: {written}");
    let suggestion =
        key_indent(repo, location).map(|indent| format!("{indent}if: failure() || cancelled()\n"));
    Finding::new(
        "alert-condition-never-fires",
        Severity::Error,
        message,
        location.clone(),
    )
    .for_job(&first)
    .with_suggestion(suggestion)
    .with_fix_hint("use this as the alert's `if:`")
}

/// An alert that fires on `failure()` alone, for the jobs that rely on it.
pub fn misses_timeout(repo: &Repository, gap: &TimeoutGap) -> Finding {
    let names = gap
        .jobs
        .iter()
        .map(|j| format!("`{j}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let severity = match gap.explicit_timeout {
        true => Severity::Warning,
        false => Severity::Note,
    };
    let limit = match gap.explicit_timeout {
        true => "its `timeout-minutes`",
        false => "the default 360-minute timeout",
    };
    let (message, condition) = match gap.listener {
        true => (
            format!(
                "this workflow_run listener does not fire when {names} times out or is cancelled: a job that \
                 runs past {limit} is cancelled, the run concludes `timed_out` or `cancelled`, not \
                 `failure`, and this listener's condition is false for those conclusions"
            ),
            "github.event.workflow_run.conclusion != 'success'",
        ),
        false => (
            format!(
                "this alert does not fire when {names} times out or is cancelled: a job that runs past \
                 {limit} is cancelled, not failed, and this alert's condition is false for a cancelled job"
            ),
            "failure() || cancelled()",
        ),
    };
    let suggestion = key_indent(repo, &gap.gate).map(|indent| format!("{indent}if: {condition}\n"));
    let job = gap.jobs.first().cloned().unwrap_or_default();
    Finding::new("alert-misses-timeout", severity, message, gap.gate.clone())
        .for_job(&job)
        .with_suggestion(suggestion)
        .with_fix_hint("use this as the alert's `if:`")
}

/// An alert that fires on failure but not on cancellation, and the jobs relying on it.
pub struct TimeoutGap {
    pub gate: Location,
    pub jobs: Vec<String>,
    pub explicit_timeout: bool,
    pub listener: bool,
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
