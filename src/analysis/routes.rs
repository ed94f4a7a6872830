//! Finding the routes by which a job's failure reaches a notifier.
//!
//! Every question is answered by imagining one run: the job under study fails (or is
//! cancelled), every job that does not depend on it succeeds, and each job that does is
//! run or skipped according to its own `if:`. A route is a notifier that fires in that
//! run: a later step of the job, a job downstream of it, a workflow listening through
//! `workflow_run`, or the insides of a reusable workflow the job calls.

use std::collections::{BTreeMap, BTreeSet};

use super::Analyzer;
use super::condition::{Scenario, Truth, Value, evaluate_value};
use super::model::{Call, JobBody, JobModel, StepModel, WorkflowModel, remote_parts};
use super::notifier::StepRole;
use super::secrets::{UnpassedSecret, through_call};
use crate::findings::{Finding, Location, RouteKind, SecretReference, Severity};

/// How deep reusable workflows and composite actions are followed.
pub const MAX_DEPTH: usize = 8;

/// One way a failure reaches a notifier.
#[derive(Clone, Debug)]
pub struct Hit {
    pub kind: RouteKind,
    pub location: Location,
    pub description: String,
    /// Contexts that could still keep the alert from firing.
    pub narrowed: Vec<String>,
    /// The `if:` that decides whether the route fires, for timeout findings.
    pub gate: Location,
    /// The secrets the notifier reads, in the terms of the workflow that holds the route.
    pub secrets: Vec<SecretReference>,
    /// Secrets a reusable workflow on the route reads but is never passed.
    pub unpassed: Vec<UnpassedSecret>,
}

/// A file with a status of its own, which its status functions read instead of the caller's.
#[derive(Clone, Debug)]
pub enum Scope {
    Callee(String),
    Composite(String),
}

/// An alert that exists but whose condition is false when it is needed.
#[derive(Clone, Debug)]
pub struct DeadAlert {
    pub location: Location,
    pub condition: String,
    /// The reusable workflow or composite action whose own status functions hide the
    /// caller's failure from this alert.
    pub inside: Option<Scope>,
    /// What the job's needs report in that run, e.g. "`needs.load.result` is `skipped`".
    pub needs_detail: Option<String>,
}

impl DeadAlert {
    fn new(location: &Location, condition: &str) -> Self {
        Self {
            location: location.clone(),
            condition: condition.to_string(),
            inside: None,
            needs_detail: None,
        }
    }
}

/// Everything a search for routes turned up.
#[derive(Clone, Debug, Default)]
pub struct Found {
    pub hits: Vec<Hit>,
    /// Remote files that might hold a route but could not be read.
    pub unverifiable: Vec<String>,
    /// Alerts that exist but whose condition is false after a failure.
    pub never_fires: Vec<DeadAlert>,
    /// Later steps that can fail the job after its alert has run.
    pub late_steps: Vec<(Location, String)>,
    /// `continue-on-error` steps whose failure no later alert hears of.
    pub hidden_failures: Vec<(Location, String)>,
    /// Notifier steps whose settings stop them from delivering.
    pub broken: Vec<String>,
    /// Steps that look like alerts but are not, with the reason.
    pub look_alikes: Vec<(String, String)>,
}

impl Found {
    fn absorb(&mut self, other: Found) {
        self.hits.extend(other.hits);
        self.unverifiable.extend(other.unverifiable);
        self.never_fires.extend(other.never_fires);
        self.late_steps.extend(other.late_steps);
        self.hidden_failures.extend(other.hidden_failures);
        self.broken.extend(other.broken);
        self.look_alikes.extend(other.look_alikes);
    }

    /// The route to report: a sure one before a narrowed one.
    pub fn best(&self) -> Option<&Hit> {
        self.hits
            .iter()
            .find(|h| h.narrowed.is_empty())
            .or_else(|| self.hits.first())
    }

    fn retag(mut self, kind: RouteKind, gate: &Location, narrowed: &[String]) -> Self {
        for hit in &mut self.hits {
            hit.kind = kind;
            hit.gate = gate.clone();
            hit.narrowed.extend(narrowed.iter().cloned());
        }
        self
    }

    /// Adds the secrets a step hands to the composite action its routes go through.
    fn reading(mut self, secrets: &[SecretReference]) -> Self {
        for hit in &mut self.hits {
            hit.secrets.extend(secrets.iter().cloned());
        }
        self
    }

    /// Carries the routes' secrets out of a reusable workflow, through its call.
    fn called_by(mut self, call: &Call, at: &Location) -> Self {
        for hit in &mut self.hits {
            let (passed, unpassed) =
                through_call(std::mem::take(&mut hit.secrets), &call.secrets, at);
            hit.secrets = passed;
            hit.unpassed.extend(unpassed);
        }
        self
    }
}

/// A job's result in an imagined run.
#[derive(Clone, Debug, PartialEq)]
pub enum JobState {
    Success,
    Failure,
    Cancelled,
    Skipped,
    Unknown(Vec<String>),
}

impl JobState {
    fn result_value(&self) -> Value {
        match self {
            JobState::Success => Value::text("success"),
            JobState::Failure => Value::text("failure"),
            JobState::Cancelled => Value::text("cancelled"),
            JobState::Skipped => Value::text("skipped"),
            JobState::Unknown(contexts) => Value::Unknown(contexts.clone()),
        }
    }

    pub fn runs(&self) -> Option<Vec<String>> {
        match self {
            JobState::Success => Some(Vec::new()),
            JobState::Unknown(contexts) => Some(contexts.clone()),
            _ => None,
        }
    }
}

/// How the job under study ends in the imagined run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Failed,
    /// Cancelled by a timeout or by hand.
    Cancelled,
}

impl Outcome {
    fn state(self) -> JobState {
        match self {
            Outcome::Failed => JobState::Failure,
            Outcome::Cancelled => JobState::Cancelled,
        }
    }

    fn step_scenario(self) -> Scenario {
        match self {
            Outcome::Failed => Scenario::after_failure(),
            Outcome::Cancelled => Scenario::after_cancellation(),
        }
    }

    fn conclusions(self) -> &'static [&'static str] {
        match self {
            Outcome::Failed => &["failure"],
            Outcome::Cancelled => &["cancelled", "timed_out"],
        }
    }
}

impl Analyzer<'_> {
    /// Imagines a run of `workflow` in which `failed` ends as given (or nothing fails),
    /// and returns every job's result. A run depends on nothing else, so each is worked
    /// out once.
    pub fn simulate(
        &self,
        workflow: &WorkflowModel<'_>,
        failed: Option<(&str, Outcome)>,
        base: &Scenario,
    ) -> BTreeMap<String, JobState> {
        self.budget.spend(workflow.jobs.len());
        let key = format!("{}\n{failed:?}\n{base:?}", workflow.path);
        if let Some(states) = self.runs.borrow().get(&key) {
            return states.clone();
        }
        let states = self.imagine_run(workflow, failed, base);
        self.runs.borrow_mut().insert(key, states.clone());
        states
    }

    fn imagine_run(
        &self,
        workflow: &WorkflowModel<'_>,
        failed: Option<(&str, Outcome)>,
        base: &Scenario,
    ) -> BTreeMap<String, JobState> {
        let mut states: BTreeMap<String, JobState> = BTreeMap::new();
        for job in topological(workflow) {
            let state = match failed {
                Some((id, outcome)) if id == job.id => outcome.state(),
                _ => self.job_state(workflow, job, &states, base),
            };
            states.insert(job.id.clone(), state);
        }
        states
    }

    /// Evaluates a job's `if:` in the imagined run. A direct need whose own run is
    /// uncertain either ran (and succeeded) or was skipped; the condition is tried both
    /// ways, and is known when both agree.
    fn job_state(
        &self,
        workflow: &WorkflowModel<'_>,
        job: &JobModel,
        states: &BTreeMap<String, JobState>,
        base: &Scenario,
    ) -> JobState {
        const MAX_UNCERTAIN: usize = 4;
        let ancestors = ancestors(workflow, &job.id);
        if !self.budget.spend(1 + job.needs.len() + ancestors.len()) {
            return JobState::Skipped;
        }
        let uncertain: Vec<&String> = job
            .needs
            .iter()
            .filter(|n| matches!(states.get(*n), Some(JobState::Unknown(_))))
            .collect();
        if uncertain.is_empty() || uncertain.len() > MAX_UNCERTAIN {
            return to_state(
                job.condition
                    .evaluate(&job_scenario(job, states, &ancestors, base)),
            );
        }
        let mut outcomes = Vec::new();
        for mask in 0..(1u32 << uncertain.len()) {
            let mut assumed = states.clone();
            self.budget
                .spend(states.len() + job.needs.len() + ancestors.len());
            for (bit, need) in uncertain.iter().enumerate() {
                let state = match mask & (1 << bit) {
                    0 => JobState::Success,
                    _ => JobState::Skipped,
                };
                assumed.insert((*need).clone(), state);
            }
            outcomes.push(
                job.condition
                    .evaluate(&job_scenario(job, &assumed, &ancestors, base)),
            );
        }
        if outcomes.iter().all(|t| *t == Truth::True) {
            JobState::Success
        } else if outcomes.iter().all(|t| *t == Truth::False) {
            JobState::Skipped
        } else {
            let mut contexts: Vec<String> = uncertain
                .iter()
                .flat_map(|n| states.get(*n).and_then(JobState::runs).unwrap_or_default())
                .collect();
            contexts.extend(outcomes.iter().flat_map(|t| t.unknown_contexts().to_vec()));
            contexts.sort();
            contexts.dedup();
            JobState::Unknown(contexts)
        }
    }

    /// Routes for `job`'s own failure: its later steps, the jobs downstream of it, the
    /// reusable workflow it calls, and `workflow_run` listeners.
    pub fn routes(
        &self,
        workflow: &WorkflowModel<'_>,
        job: &JobModel,
        outcome: Outcome,
        base: &Scenario,
        depth: usize,
    ) -> Found {
        if !self
            .budget
            .spend(1 + job.steps().len() + workflow.jobs.len())
        {
            return Found::default();
        }
        let mut found = match &job.body {
            JobBody::Steps(steps) => self.own_steps(steps, outcome, base, depth),
            JobBody::Call(call) => self.callee_coverage(call, &job.location, base, depth),
            JobBody::Unreadable => Found::default(),
        };
        found.absorb(self.downstream(workflow, job, outcome, base, depth));
        if depth == 0 {
            found.absorb(self.listeners(workflow, outcome));
        }
        found
    }

    /// Notify steps later in the same job, judged under "an earlier step failed".
    fn own_steps(
        &self,
        steps: &[StepModel],
        outcome: Outcome,
        base: &Scenario,
        depth: usize,
    ) -> Found {
        let scenario = merge(outcome.step_scenario(), base);
        let mut found = Found::default();
        let mut last_hit: Option<usize> = None;
        for (position, step) in steps.iter().enumerate() {
            let truth = step.condition.evaluate(&scenario);
            let reach = self.step_reach(steps, position, &truth, true, depth);
            if !truth.may_fire() {
                if reach_has_notifier(&reach) && outcome == Outcome::Failed {
                    found
                        .never_fires
                        .push(DeadAlert::new(&step.location, step.condition.source()));
                }
                continue;
            }
            if !reach.hits.is_empty() {
                last_hit = Some(position);
            }
            found.absorb(reach);
        }
        // A step can fail the job when it runs on a good day and is not allowed to fail;
        // one that runs only after a failure comes after the alert anyway.
        let clean = merge(Scenario::clean(), base);
        let can_fail = |s: &StepModel| {
            !s.continue_on_error
                && !matches!(s.role, StepRole::Notifier(_))
                && s.condition.evaluate(&clean).may_fire()
        };
        let failable: Vec<usize> = (0..steps.len()).filter(|&i| can_fail(&steps[i])).collect();
        found.late_steps = failable
            .iter()
            .filter(|&&i| last_hit.is_none_or(|last| i > last))
            .map(|&i| (steps[i].location.clone(), steps[i].name.clone()))
            .collect();
        if last_hit.is_none() {
            // With no alert at all, the later steps are not "late": there is nothing to be late for.
            found.late_steps.clear();
        }
        if outcome == Outcome::Failed {
            let (hidden, heard_by) = self.hidden_failures(steps, base, depth);
            found.hidden_failures = hidden;
            found.hits.extend(heard_by);
        }
        let job_failures_covered =
            failable.is_empty() || found.late_steps.is_empty() && last_hit.is_some();
        if !job_failures_covered || !found.hidden_failures.is_empty() {
            found.hits.clear();
        }
        found
    }

    /// A `continue-on-error` step fails without failing the job: `failure()` stays false
    /// and only its outcome records it. Its failure is heard only by a later alert whose
    /// condition is true with the job still green and that outcome `failure`.
    fn hidden_failures(
        &self,
        steps: &[StepModel],
        base: &Scenario,
        depth: usize,
    ) -> (Vec<(Location, String)>, Vec<Hit>) {
        let mut hidden = Vec::new();
        let mut heard_by = Vec::new();
        for (position, step) in steps.iter().enumerate() {
            if !step.continue_on_error || matches!(step.role, StepRole::Notifier(_)) {
                continue;
            }
            let mut scenario = merge(Scenario::clean(), base);
            if let Some(id) = &step.id {
                scenario.set(&format!("steps.{id}.outcome"), Value::text("failure"));
                scenario.set(&format!("steps.{id}.conclusion"), Value::text("success"));
            }
            let heard: Vec<Hit> = steps[position + 1..]
                .iter()
                .enumerate()
                .flat_map(|(offset, later)| {
                    let truth = later.condition.evaluate(&scenario);
                    match truth.may_fire() {
                        true => {
                            self.step_reach(steps, position + 1 + offset, &truth, true, depth)
                                .hits
                        }
                        false => Vec::new(),
                    }
                })
                .collect();
            if heard.is_empty() {
                hidden.push((step.location.clone(), step.name.clone()));
            }
            heard_by.extend(heard);
        }
        (hidden, heard_by)
    }

    /// What one step reaches when it runs: a notifier, a composite holding one, or an
    /// unreadable remote action. Composite insides see only their own status.
    fn step_reach(
        &self,
        steps: &[StepModel],
        position: usize,
        truth: &Truth,
        check_checkout: bool,
        depth: usize,
    ) -> Found {
        let step = &steps[position];
        let narrowed = truth.unknown_contexts().to_vec();
        let mut found = Found::default();
        match &step.role {
            StepRole::Notifier(notifier) => {
                self.report_all(&notifier.findings);
                if notifier.breaks {
                    found.broken.push(step.name.clone());
                } else {
                    found.hits.push(Hit {
                        kind: RouteKind::Step,
                        location: step.location.clone(),
                        description: format!("\"{}\" ({})", step.name, notifier.channel),
                        narrowed,
                        gate: step.location.clone(),
                        secrets: step.secrets.clone(),
                        unpassed: Vec::new(),
                    });
                }
            }
            StepRole::LocalAction(key) if self.is_opaque_local_action(key) => {
                // A JavaScript or Docker action: its code is not YAML we can judge.
                found.unverifiable.push(format!("./{key}"));
            }
            StepRole::LocalAction(key) => {
                let inner = self.composite(key, &step.with, depth + 1);
                if check_checkout
                    && !inner.hits.is_empty()
                    && !steps[..position].iter().any(|s| s.is_checkout)
                {
                    self.report(missing_checkout(step, key));
                    return found;
                }
                found.absorb(
                    inner
                        .retag(RouteKind::Composite, &step.location, &narrowed)
                        .reading(&step.secrets),
                );
            }
            StepRole::RemoteUnknown(uses) => match self.remote_action_steps(uses) {
                Some(_) => {
                    let inner = self.composite(uses, &step.with, depth + 1);
                    found.absorb(
                        inner
                            .retag(RouteKind::Composite, &step.location, &narrowed)
                            .reading(&step.secrets),
                    );
                }
                // Read, and not a composite action: like a local one, it holds no route.
                None if self.remote_action_was_read(uses) => {}
                None => found.unverifiable.push(uses.clone()),
            },
            StepRole::NotAlert(reason) => {
                found.look_alikes.push((step.name.clone(), reason.clone()))
            }
            StepRole::Other => {}
        }
        found
    }

    /// Notifiers inside a composite action, which start with the action's own clean
    /// status: a `failure()` inside never sees the caller's failure.
    fn composite(&self, key: &str, with: &BTreeMap<String, String>, depth: usize) -> Found {
        let Some(steps) = self.action_steps(key) else {
            return Found::default();
        };
        if depth > MAX_DEPTH {
            return Found::default();
        }
        let mut scenario = Scenario::clean();
        for (name, value) in with {
            scenario.set(
                &format!("inputs.{name}"),
                evaluate_value(value, &Scenario::clean()),
            );
        }
        let mut found = self.fresh_steps(steps, &scenario, false, depth);
        for dead in &mut found.never_fires {
            dead.inside
                .get_or_insert_with(|| Scope::Composite(key.to_string()));
        }
        found
    }

    /// Notifiers among steps that start clean (a notify job, a callee, a composite).
    fn fresh_steps(
        &self,
        steps: &[StepModel],
        scenario: &Scenario,
        check_checkout: bool,
        depth: usize,
    ) -> Found {
        let mut found = Found::default();
        for (position, step) in steps.iter().enumerate() {
            let truth = step.condition.evaluate(scenario);
            let reach = self.step_reach(steps, position, &truth, check_checkout, depth);
            if truth.may_fire() {
                found.absorb(reach);
            } else if reach_has_notifier(&reach) {
                found
                    .never_fires
                    .push(DeadAlert::new(&step.location, step.condition.source()));
            }
        }
        found
    }

    /// Jobs that (transitively) need `job` and run in the imagined run.
    fn downstream(
        &self,
        workflow: &WorkflowModel<'_>,
        job: &JobModel,
        outcome: Outcome,
        base: &Scenario,
        depth: usize,
    ) -> Found {
        let states = self.simulate(workflow, Some((&job.id, outcome)), base);
        let descendants = descendants(workflow, &job.id);
        let mut found = Found::default();
        for other in workflow.jobs.iter().filter(|j| descendants.contains(&j.id)) {
            let state = states.get(&other.id).cloned().unwrap_or(JobState::Skipped);
            let inner = self.job_notifies(workflow, other, &states, base, depth);
            match state.runs() {
                Some(narrowed) => {
                    found.absorb(inner.retag(RouteKind::Job, &other.location, &narrowed))
                }
                None if !inner.hits.is_empty() && outcome == Outcome::Failed => {
                    let mut dead = DeadAlert::new(&other.location, other.condition.source());
                    dead.needs_detail = needs_detail(other, &states);
                    found.never_fires.push(dead);
                }
                None => {}
            }
        }
        found
    }

    /// Whether `job`, once it runs, sends an alert: a notify step, or a call to a
    /// reusable workflow that does.
    pub fn job_notifies(
        &self,
        workflow: &WorkflowModel<'_>,
        job: &JobModel,
        states: &BTreeMap<String, JobState>,
        base: &Scenario,
        depth: usize,
    ) -> Found {
        let ancestors = ancestors(workflow, &job.id);
        let work = 1 + job.needs.len() + ancestors.len() + job.steps().len();
        if !self.budget.spend(work) {
            return Found::default();
        }
        let mut scenario = job_scenario(job, states, &ancestors, base);
        scenario.success = true;
        scenario.failure = false;
        scenario.cancelled = false;
        scenario.success_depends_on.clear();
        match &job.body {
            JobBody::Steps(steps) => self.fresh_steps(steps, &scenario, true, depth),
            JobBody::Call(call) => self.callee_notifies(call, &job.location, &scenario, depth + 1),
            JobBody::Unreadable => Found::default(),
        }
    }

    /// A reusable workflow called as a notifier: its jobs start clean, so a `failure()`
    /// in them sees only their own jobs, never the caller's.
    fn callee_notifies(
        &self,
        call: &Call,
        at: &Location,
        caller: &Scenario,
        depth: usize,
    ) -> Found {
        let Some(callee) = self.callee(&call.uses) else {
            return self.unreadable_callee(&call.uses);
        };
        if depth > MAX_DEPTH {
            return Found::default();
        }
        let base = callee_base(&call.with, caller);
        let states = self.simulate(callee, None, &base);
        let mut found = Found::default();
        for job in &callee.jobs {
            let inner = self.job_notifies(callee, job, &states, &base, depth);
            match states.get(&job.id).and_then(JobState::runs) {
                Some(narrowed) => found.absorb(
                    inner
                        .retag(RouteKind::Reusable, &job.location, &narrowed)
                        .called_by(call, at),
                ),
                // Its own status functions see only the callee's jobs, none of which failed.
                None if !inner.hits.is_empty() => {
                    let mut dead = DeadAlert::new(&job.location, job.condition.source());
                    dead.inside = Some(Scope::Callee(callee.path.to_string()));
                    found.never_fires.push(dead);
                }
                None => found.never_fires.extend(inner.never_fires),
            }
        }
        found
    }

    /// A job that calls a reusable workflow is covered from inside when every job of the
    /// callee is covered there.
    fn callee_coverage(
        &self,
        call: &Call,
        at: &Location,
        caller: &Scenario,
        depth: usize,
    ) -> Found {
        let uses = call.uses.as_str();
        let Some(callee) = self.callee(uses) else {
            return self.unreadable_callee(uses);
        };
        if depth >= MAX_DEPTH {
            return Found::default();
        }
        let base = callee_base(&call.with, caller);
        let verdicts: Vec<_> = callee
            .jobs
            .iter()
            .map(|job| self.judge(callee, job, &base, depth + 1))
            .collect();
        let mut found = Found::default();
        use crate::findings::Verdict;
        if verdicts.iter().any(|j| j.verdict == Verdict::NotAlerted) {
            return found;
        }
        if let Some(unverified) = verdicts.iter().find(|j| j.verdict == Verdict::Unverified) {
            found
                .unverifiable
                .extend(unverified.found.unverifiable.iter().cloned());
            return found;
        }
        let hits: Vec<Hit> = verdicts
            .iter()
            .filter_map(|j| j.found.best().cloned())
            .collect();
        if let Some(first) = hits.first() {
            let narrowed: Vec<String> = hits
                .iter()
                .flat_map(|h| h.narrowed.iter().cloned())
                .collect();
            found.hits.push(Hit {
                kind: RouteKind::Reusable,
                location: first.location.clone(),
                description: format!("every job of {}", uses.trim().trim_start_matches("./")),
                narrowed,
                gate: at.clone(),
                secrets: hits
                    .iter()
                    .flat_map(|h| h.secrets.iter().cloned())
                    .collect(),
                unpassed: hits
                    .iter()
                    .flat_map(|h| h.unpassed.iter().cloned())
                    .collect(),
            });
        }
        found.called_by(call, at)
    }

    fn unreadable_callee(&self, uses: &str) -> Found {
        let mut found = Found::default();
        if remote_parts(uses).is_some() {
            found.unverifiable.push(uses.trim().to_string());
        }
        found
    }

    /// Workflows that run on `workflow_run` of this one and alert for the conclusion.
    fn listeners(&self, workflow: &WorkflowModel<'_>, outcome: Outcome) -> Found {
        let mut found = Found::default();
        // `workflow_run` only hears workflows of the same repository.
        for listener in self.workflows.iter().filter(|w| !w.remote) {
            let Some(trigger) = &listener.listens_to else {
                continue;
            };
            let named = trigger.workflows.iter().any(|w| w == workflow.run_name());
            let on_completion =
                trigger.types.is_empty() || trigger.types.iter().any(|t| t == "completed");
            if !named || !on_completion || listener.path == workflow.path {
                continue;
            }
            for conclusion in outcome.conclusions() {
                let base = Scenario::clean()
                    .with("github.event_name", Value::text("workflow_run"))
                    .with(
                        "github.event.workflow_run.conclusion",
                        Value::text(conclusion),
                    )
                    .with(
                        "github.event.workflow_run.name",
                        Value::text(workflow.run_name()),
                    )
                    .with("github.event.workflow_run.path", Value::text(workflow.path));
                let states = self.simulate(listener, None, &base);
                for job in &listener.jobs {
                    let inner = self.job_notifies(listener, job, &states, &base, 1);
                    match states.get(&job.id).and_then(JobState::runs) {
                        Some(mut narrowed) => {
                            narrowed.extend(trigger.branch_filter.iter().cloned());
                            found.absorb(inner.retag(
                                RouteKind::WorkflowRun,
                                &job.location,
                                &narrowed,
                            ))
                        }
                        None if !inner.hits.is_empty() && outcome == Outcome::Failed => {
                            found
                                .never_fires
                                .push(DeadAlert::new(&job.location, job.condition.source()));
                        }
                        None => {}
                    }
                }
            }
        }
        found
    }
}

fn needs_detail(job: &JobModel, states: &BTreeMap<String, JobState>) -> Option<String> {
    let parts: Vec<String> = job
        .needs
        .iter()
        .filter_map(|need| {
            let value = match states.get(need)? {
                JobState::Unknown(_) => return None,
                state => state.result_value(),
            };
            match value {
                Value::Text(text) => Some(format!("`needs.{need}.result` is `{text}`")),
                _ => None,
            }
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn to_state(truth: Truth) -> JobState {
    match truth {
        Truth::True => JobState::Success,
        Truth::False => JobState::Skipped,
        Truth::Unknown(contexts) => JobState::Unknown(contexts),
    }
}

fn reach_has_notifier(found: &Found) -> bool {
    !found.hits.is_empty()
}

fn missing_checkout(step: &StepModel, key: &str) -> Finding {
    let message = format!(
        "step \"{}\" uses the local action ./{key}, but no actions/checkout step runs before it in \
         this job, so the action cannot be found and the alert it carries is never sent",
        step.name
    );
    Finding::new(
        "local-action-without-checkout",
        Severity::Error,
        message,
        step.location.clone(),
    )
}

/// The callee's view: `inputs.<name>` from the caller's `with:`, evaluated in the caller.
/// Reusable workflow inputs are typed: a literal `false` or `0` reaches the callee as a
/// boolean or number, which is falsy, not as a non-empty string.
fn callee_base(with: &BTreeMap<String, String>, caller: &Scenario) -> Scenario {
    let mut base = Scenario::clean();
    for (name, value) in with {
        let typed = match evaluate_value(value, caller) {
            Value::Text(text) => typed_literal(&text),
            other => other,
        };
        base.set(&format!("inputs.{name}"), typed);
    }
    base
}

fn typed_literal(text: &str) -> Value {
    match text.trim() {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        number => number
            .parse::<f64>()
            .map_or_else(|_| Value::Text(text.to_string()), Value::Number),
    }
}

fn merge(mut scenario: Scenario, base: &Scenario) -> Scenario {
    for (key, value) in &base.known {
        scenario
            .known
            .entry(key.clone())
            .or_insert_with(|| value.clone());
    }
    scenario
}

/// The job-level view: status functions over every ancestor, `needs.<id>.result` over
/// direct needs only.
fn job_scenario(
    job: &JobModel,
    states: &BTreeMap<String, JobState>,
    ancestors: &BTreeSet<String>,
    base: &Scenario,
) -> Scenario {
    let state_of = |id: &String| states.get(id).cloned().unwrap_or(JobState::Success);
    let failure = ancestors.iter().any(|a| state_of(a) == JobState::Failure);
    let cancelled = ancestors.iter().any(|a| state_of(a) == JobState::Cancelled);
    let needs_ran = job
        .needs
        .iter()
        .all(|n| matches!(state_of(n), JobState::Success | JobState::Unknown(_)));
    let success = !failure && !cancelled && needs_ran;
    let success_depends_on: Vec<String> = match success {
        true => job
            .needs
            .iter()
            .flat_map(|n| state_of(n).runs().unwrap_or_default())
            .collect(),
        false => Vec::new(),
    };
    let mut scenario = Scenario {
        success,
        failure,
        cancelled,
        success_depends_on,
        known: base.known.clone(),
    };
    scenario.set("needs.*", Value::Null);
    for need in &job.needs {
        scenario.set(
            &format!("needs.{need}.result"),
            state_of(need).result_value(),
        );
    }
    scenario
}

/// Jobs in an order where each comes after its needs; jobs caught in a cycle come last,
/// in file order, so that a cyclic file is still judged instead of looping.
pub fn topological<'w>(workflow: &'w WorkflowModel<'_>) -> Vec<&'w JobModel> {
    workflow
        .graph
        .order()
        .iter()
        .filter_map(|p| workflow.jobs.get(*p))
        .collect()
}

pub fn ancestors(workflow: &WorkflowModel<'_>, id: &str) -> BTreeSet<String> {
    workflow.graph.ancestors(id)
}

pub fn descendants(workflow: &WorkflowModel<'_>, id: &str) -> BTreeSet<String> {
    workflow.graph.descendants(id)
}
