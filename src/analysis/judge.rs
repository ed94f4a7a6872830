//! Turning the routes found for each job into verdicts and findings, and assembling the
//! report for the whole repository.

use std::collections::BTreeMap;

use super::budget::WORK_BUDGET;
use super::condition::Scenario;
use super::model::{JobBody, JobModel, WorkflowModel};
use super::routes::{DeadAlert, Found, Hit, Outcome};
use super::suggest::TimeoutGap;
use super::{Analyzer, CriticalSelector, suggest, webhooks};
use crate::findings::{
    AlertedBy, Finding, JobReport, Location, Report, SecretReference, Severity, Verdict,
    WorkflowReport,
};
use crate::repo::LoadError;

/// The verdict for one job and the routes behind it.
pub struct Judgement {
    pub verdict: Verdict,
    pub found: Found,
}

impl Analyzer<'_> {
    pub fn judge(
        &self,
        workflow: &WorkflowModel<'_>,
        job: &JobModel,
        base: &Scenario,
        depth: usize,
    ) -> Judgement {
        if self.is_alert_route(workflow, job, base, depth) {
            return Judgement {
                verdict: Verdict::AlertRoute,
                found: Found::default(),
            };
        }
        let found = self.routes(workflow, job, Outcome::Failed, base, depth);
        let verdict = if found.best().is_some() {
            Verdict::Alerted
        } else if !found.unverifiable.is_empty() {
            Verdict::Unverified
        } else {
            Verdict::NotAlerted
        };
        Judgement { verdict, found }
    }

    /// A job that exists to alert on others: it needs them, its `if:` carries a status
    /// function that lets it run when one of them failed, and it either sends an alert
    /// then or stays skipped on a good day. Judging it uncovered would fail every
    /// correct setup.
    fn is_alert_route(
        &self,
        workflow: &WorkflowModel<'_>,
        job: &JobModel,
        base: &Scenario,
        depth: usize,
    ) -> bool {
        if job.needs.is_empty() || !job.condition.has_status_function() {
            return false;
        }
        let quiet_day = self.simulate(workflow, None, base);
        let skipped_when_all_succeed = quiet_day.get(&job.id).is_some_and(|s| s.runs().is_none());
        job.needs
            .iter()
            .filter(|need| workflow.job(need).is_some())
            .any(|need| {
                let states = self.simulate(workflow, Some((need, Outcome::Failed)), base);
                let Some(_) = states.get(&job.id).and_then(|s| s.runs()) else {
                    return false;
                };
                skipped_when_all_succeed
                    || !self
                        .job_notifies(workflow, job, &states, base, depth)
                        .hits
                        .is_empty()
            })
    }

    /// Judges every critical workflow and returns the report for the repository.
    pub fn judge_repository(&self, critical: &CriticalSelector) -> Report {
        let mut reports = Vec::new();
        for file in &self.repo.workflows {
            let report = match &file.parsed {
                Err(error) => {
                    self.report(parse_error(&file.source, error));
                    not_judged(&file.source.path, None)
                }
                Ok(_) => {
                    let Some(workflow) = self.workflows.iter().find(|w| w.path == file.source.path)
                    else {
                        continue;
                    };
                    self.workflow_report(workflow, critical.is_critical(workflow))
                }
            };
            reports.push(report);
        }
        for action in self.repo.actions.values() {
            if let Err(error) = &action.parsed {
                self.report(parse_error(&action.source, error));
            }
        }
        self.check_listener_names();
        self.report_refused_references();
        self.check_needs_graphs();
        for finding in webhooks::scan(self.repo, self.catalogue) {
            self.report(finding);
        }
        let mut findings = self.take_findings();
        self.place(&mut findings, &mut reports);
        let mut report = Report::new(reports, findings);
        report.secrets = self.take_route_secrets();
        report.unread_remote = self.unread_remote.take();
        report
    }

    fn workflow_report(&self, workflow: &WorkflowModel<'_>, critical: bool) -> WorkflowReport {
        if !critical {
            return not_judged(workflow.path, workflow.name);
        }
        if workflow.jobs.is_empty() {
            let message =
                "the workflow has no jobs; GitHub rejects it, so nothing in it can run or alert";
            let location = Location::at(workflow.path, crate::route!["jobs"]);
            self.report(Finding::new(
                "workflow-parse-error",
                Severity::Error,
                message,
                location,
            ));
        }
        let base = Scenario::clean();
        let mut jobs = Vec::new();
        let mut timeouts: BTreeMap<String, TimeoutGap> = BTreeMap::new();
        let mut dead_alerts: BTreeMap<String, (DeadAlert, Vec<String>)> = BTreeMap::new();
        self.budget.reset();
        for job in &workflow.jobs {
            let judgement = self.judge(workflow, job, &base, 0);
            match judgement.verdict {
                Verdict::Alerted => {
                    self.collect_timeout_gap(workflow, job, &judgement, &mut timeouts);
                    self.collect_route_secrets(&judgement.found.hits);
                }
                Verdict::Unverified => self
                    .unread_remote
                    .borrow_mut()
                    .extend(judgement.found.unverifiable.iter().cloned()),
                Verdict::NotAlerted | Verdict::AlertRoute => {}
            }
            if judgement.verdict == Verdict::NotAlerted
                && let Some(dead) = judgement.found.never_fires.first()
            {
                let key = format!("{}#{}", dead.location.path, dead.location.route_text());
                let entry = dead_alerts
                    .entry(key)
                    .or_insert_with(|| (dead.clone(), Vec::new()));
                entry.1.push(job.id.clone());
            }
            if self.budget.is_exhausted() {
                return self.too_complex(workflow);
            }
            self.explain(job, &judgement);
            jobs.push(JobReport {
                id: job.id.clone(),
                verdict: judgement.verdict,
                alerted_by: judgement
                    .found
                    .best()
                    .filter(|_| judgement.verdict == Verdict::Alerted)
                    .map(alerted_by),
                location: job.location.clone(),
            });
        }
        tracing::debug!(
            workflow = workflow.path,
            work = self.budget.spent(),
            "workflow judged"
        );
        for (dead, job_ids) in dead_alerts.values() {
            self.report(suggest::never_fires(self.repo, job_ids, dead));
        }
        for gap in timeouts.values() {
            self.report(suggest::misses_timeout(self.repo, gap));
        }
        WorkflowReport {
            path: workflow.path.to_string(),
            name: workflow.name.map(str::to_string),
            critical: true,
            status: crate::findings::Status::Pass,
            jobs,
            schedules: workflow.schedules.clone(),
        }
    }

    /// Keeps the secrets the accepted routes read, for the online checks, and reports
    /// those a reusable workflow on a route is never passed.
    fn collect_route_secrets(&self, hits: &[Hit]) {
        for hit in hits {
            for unpassed in &hit.unpassed {
                self.report(suggest::unpassed_secret(self.repo, unpassed));
            }
            let mut kept = self.route_secrets.borrow_mut();
            for reference in &hit.secrets {
                if !kept.contains(reference) {
                    kept.push(reference.clone());
                }
            }
        }
    }

    fn take_route_secrets(&self) -> Vec<SecretReference> {
        let mut secrets = self.route_secrets.take();
        for reference in &mut secrets {
            self.repo.place(&mut reference.location);
        }
        secrets
    }

    /// A workflow whose judgement ran out of budget: no job of it counts as alerted, and an
    /// error says why, so that the control never passes on a judgement left unfinished.
    fn too_complex(&self, workflow: &WorkflowModel<'_>) -> WorkflowReport {
        tracing::warn!(workflow = workflow.path, "too complex to judge");
        let message = format!(
            "the workflow is too complex to judge: its {} jobs, their needs and the workflows \
             they call take more than alertlint's budget of {WORK_BUDGET} units of work, so no \
             job of it is counted as alerted. Real workflows stay far below this; split this one",
            workflow.jobs.len()
        );
        let location = Location::at(workflow.path, crate::route!["jobs"]);
        self.report(Finding::new(
            "workflow-too-large",
            Severity::Error,
            message,
            location,
        ));
        let jobs = workflow
            .jobs
            .iter()
            .map(|job| JobReport {
                id: job.id.clone(),
                verdict: Verdict::Unverified,
                alerted_by: None,
                location: job.location.clone(),
            })
            .collect();
        WorkflowReport {
            path: workflow.path.to_string(),
            name: workflow.name.map(str::to_string),
            critical: true,
            status: crate::findings::Status::Fail,
            jobs,
            schedules: workflow.schedules.clone(),
        }
    }

    /// Records the findings that explain a verdict.
    fn explain(&self, job: &JobModel, judgement: &Judgement) {
        let found = &judgement.found;
        match judgement.verdict {
            Verdict::AlertRoute => {}
            Verdict::Alerted => {
                let hit = found.best().expect("alerted implies a route");
                if !hit.narrowed.is_empty() {
                    self.report(narrowed(job, hit));
                }
            }
            Verdict::Unverified => self.report(unverified(job, &found.unverifiable)),
            Verdict::NotAlerted => {
                self.report(suggest::missing_alert(self.repo, job, found));
                for (location, name) in &found.late_steps {
                    self.report(late_step(job, location, name));
                }
                for (location, name) in &found.hidden_failures {
                    self.report(hidden_failure(job, location, name));
                }
            }
        }
    }

    /// Whether any route also fires when the job is cancelled, as a timeout cancels it;
    /// if none does, the gap is recorded against the condition that decides.
    fn collect_timeout_gap(
        &self,
        workflow: &WorkflowModel<'_>,
        job: &JobModel,
        judgement: &Judgement,
        gaps: &mut BTreeMap<String, TimeoutGap>,
    ) {
        let base = Scenario::clean();
        let cancelled = self.routes(workflow, job, Outcome::Cancelled, &base, 0);
        if !cancelled.hits.is_empty() {
            return;
        }
        let Some(hit) = judgement.found.best() else {
            return;
        };
        let key = format!("{}#{}", hit.gate.path, hit.gate.route_text());
        let gap = gaps.entry(key).or_insert_with(|| TimeoutGap {
            gate: hit.gate.clone(),
            jobs: Vec::new(),
            explicit_timeout: false,
            listener: hit.kind == crate::findings::RouteKind::WorkflowRun,
        });
        gap.jobs.push(job.id.clone());
        gap.explicit_timeout |= job.timeout_set;
    }

    /// `workflow_run` matches by name; a listener that names a file or a workflow that
    /// does not exist never fires.
    fn check_listener_names(&self) {
        let local = || self.workflows.iter().filter(|w| !w.remote);
        for listener in local() {
            let Some(trigger) = &listener.listens_to else {
                continue;
            };
            for (index, named) in trigger.workflows.iter().enumerate() {
                if local().any(|w| w.run_name() == named) {
                    continue;
                }
                let by_file = local()
                    .find(|w| w.path == named || w.path.rsplit('/').next() == Some(named.as_str()));
                let message = match by_file {
                    Some(target) => format!(
                        "this listener names `{named}`, but workflow_run matches workflows by their `name:`; \
                         {} is named \"{}\", so this listener never fires for it. Write `{}` instead",
                        target.path,
                        target.run_name(),
                        target.run_name()
                    ),
                    None => format!(
                        "this listener names `{named}`, but no workflow in this repository has that name, \
                         so it never fires (workflow_run only sees workflows of the same repository)"
                    ),
                };
                let route = crate::route!["on", "workflow_run", "workflows", index];
                let location = Location::at(listener.path, route);
                self.report(Finding::new(
                    "workflow-run-name-mismatch",
                    Severity::Warning,
                    message,
                    location,
                ));
            }
        }
    }

    /// Gives every location its line and column, now that we know which files need them.
    fn place(&self, findings: &mut [Finding], reports: &mut [WorkflowReport]) {
        let resolve = |location: &mut Location| self.repo.place(location);
        for finding in findings.iter_mut() {
            resolve(&mut finding.location);
            for (location, _) in &mut finding.related {
                resolve(location);
            }
        }
        for report in reports.iter_mut() {
            for job in &mut report.jobs {
                resolve(&mut job.location);
                if let Some(by) = &mut job.alerted_by {
                    resolve(&mut by.location);
                }
            }
        }
    }
}

fn alerted_by(hit: &Hit) -> AlertedBy {
    AlertedBy {
        kind: hit.kind,
        location: hit.location.clone(),
        description: hit.description.clone(),
    }
}

fn not_judged(path: &str, name: Option<&str>) -> WorkflowReport {
    WorkflowReport {
        path: path.to_string(),
        name: name.map(str::to_string),
        critical: false,
        status: crate::findings::Status::NotCritical,
        jobs: Vec::new(),
        schedules: Vec::new(),
    }
}

fn parse_error(source: &crate::repo::SourceFile, error: &LoadError) -> Finding {
    let path = source.path.as_str();
    use crate::repo::LoadErrorKind;
    let rule = match error.kind {
        LoadErrorKind::TooLarge => "workflow-too-large",
        _ => "workflow-parse-error",
    };
    let mut location = Location::file(path);
    if let (Some(line), Some(column)) = (error.line, error.column) {
        let offset = source.offset_of(line, column);
        location.span = Some(crate::findings::Span {
            line,
            column,
            end_line: line,
            end_column: column,
            start_byte: offset,
            end_byte: offset,
        });
    }
    let message = match error.kind {
        LoadErrorKind::TooLarge | LoadErrorKind::Unreadable => {
            format!("{}; alertlint did not judge it", error.message)
        }
        _ => format!(
            "{}; GitHub cannot run this workflow and alertlint cannot judge it",
            error.message
        ),
    };
    Finding::new(rule, Severity::Error, message, location)
}

fn narrowed(job: &JobModel, hit: &Hit) -> Finding {
    let contexts = hit
        .narrowed
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let message = format!(
        "job `{}` is alerted by {}, but only when {} allows it; when it does not, a failure reaches nobody",
        job.id, hit.description, contexts
    );
    Finding::new(
        "alert-condition-narrowed",
        Severity::Warning,
        message,
        hit.gate.clone(),
    )
    .for_job(&job.id)
}

fn late_step(job: &JobModel, location: &Location, name: &str) -> Finding {
    let message = format!(
        "step \"{name}\" can fail job `{}` after its alert step has already run, so that failure reaches nobody; \
         move the alert step after it",
        job.id
    );
    Finding::new(
        "alert-before-failing-step",
        Severity::Error,
        message,
        location.clone(),
    )
    .for_job(&job.id)
}

fn hidden_failure(job: &JobModel, location: &Location, name: &str) -> Finding {
    let message = format!(
        "step \"{name}\" has `continue-on-error: true`, so when it fails job `{}` stays green, `failure()` \
         stays false, and no alert after it fires: its failure reaches nobody. Remove `continue-on-error`, \
         or give the step an `id:` and write the alert's condition as \
         `failure() || cancelled() || steps.<id>.outcome == 'failure'`",
        job.id
    );
    Finding::new(
        "failure-hidden-by-continue-on-error",
        Severity::Error,
        message,
        location.clone(),
    )
    .for_job(&job.id)
}

fn unverified(job: &JobModel, remote: &[String]) -> Finding {
    let mut names: Vec<&String> = remote.iter().collect();
    names.sort();
    names.dedup();
    let list = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let message = format!(
        "job `{}` can only be alerted through {list}, which cannot be read offline; \
         its verdict is unverified until it is read",
        job.id
    );
    let location = match &job.body {
        JobBody::Call { .. } => {
            Location::at(&job.location.path, crate::route!["jobs", &job.id, "uses"])
        }
        _ => job.location.clone(),
    };
    Finding::new("alert-route-unverified", Severity::Note, message, location).for_job(&job.id)
}
