//! A flat view of workflows, jobs, steps and composite actions with everything the route
//! analysis asks of them already worked out: conditions parsed, notifiers classified,
//! env merged, routes into the file recorded.

use std::collections::{BTreeMap, HashMap};

use github_actions_models::action::{Action, Runs, StepBody};
use github_actions_models::common::expr::LoE;
use github_actions_models::common::{Env, EnvValue, Uses};
use github_actions_models::workflow::event::OptionalBody;
use github_actions_models::workflow::job::{
    DeploymentEnvironment, NormalJob, ReusableWorkflowCallJob, Secrets, Step,
};
use github_actions_models::workflow::{Job, Trigger, Workflow};

use super::condition::Condition;
use super::needs::NeedsGraph;
use super::notifier::{StepRole, StepView, classify};
use super::secrets::{CallSecrets, EnvSecret, StepSecrets};
use crate::findings::{Location, SecretReference, Segment};
use crate::route;
use crate::rules::Catalogue;

pub struct WorkflowModel<'r> {
    pub path: &'r str,
    pub name: Option<&'r str>,
    pub jobs: Vec<JobModel>,
    pub schedules: Vec<String>,
    pub listens_to: Option<Listener>,
    pub is_callable: bool,
    /// Fetched from another repository: it can be called, but never listens or is judged.
    pub remote: bool,
    /// Who needs whom, worked out once: every imagined run asks it of every job.
    pub graph: NeedsGraph,
}

/// What a `workflow_run` trigger listens to.
pub struct Listener {
    pub workflows: Vec<String>,
    pub types: Vec<String>,
    /// A `branches` or `branches-ignore` filter, which may leave out the default branch
    /// that scheduled runs use.
    pub branch_filter: Option<String>,
}

pub struct JobModel {
    pub id: String,
    pub needs: Vec<String>,
    pub condition: Condition,
    pub location: Location,
    pub timeout_set: bool,
    pub body: JobBody,
}

pub enum JobBody {
    Steps(Vec<StepModel>),
    Call(Call),
    /// A job the model could not read, such as a malformed `uses:`.
    Unreadable,
}

/// A job that calls a reusable workflow.
pub struct Call {
    pub uses: String,
    pub with: BTreeMap<String, String>,
    pub secrets: CallSecrets,
}

pub struct StepModel {
    pub index: usize,
    /// The step's `id:`, through which later steps read its outcome.
    pub id: Option<String>,
    pub name: String,
    pub condition: Condition,
    pub continue_on_error: bool,
    pub role: StepRole,
    pub is_checkout: bool,
    pub location: Location,
    pub with: BTreeMap<String, String>,
    /// The secrets the step reads, with where each is written.
    pub secrets: Vec<SecretReference>,
}

impl WorkflowModel<'_> {
    /// The name `workflow_run` matches against: `name:`, else the file path.
    pub fn run_name(&self) -> &str {
        self.name.unwrap_or(self.path)
    }

    pub fn job(&self, id: &str) -> Option<&JobModel> {
        self.graph.position(id).and_then(|p| self.jobs.get(p))
    }
}

impl JobModel {
    pub fn steps(&self) -> &[StepModel] {
        match &self.body {
            JobBody::Steps(steps) => steps,
            _ => &[],
        }
    }
}

pub fn build_workflow<'r>(
    path: &'r str,
    workflow: &'r Workflow,
    versions: &HashMap<String, String>,
    catalogue: &Catalogue,
    remote: bool,
) -> WorkflowModel<'r> {
    let workflow_env = env_map(&workflow.env);
    let context = JobContext {
        path,
        workflow_env: &workflow_env,
        versions,
        catalogue,
    };
    let jobs: Vec<JobModel> = workflow
        .jobs
        .iter()
        .map(|(id, job)| build_job(&context, id, job))
        .collect();
    let graph = NeedsGraph::new(&jobs);
    WorkflowModel {
        path,
        name: workflow.name.as_deref().filter(|n| !n.trim().is_empty()),
        jobs,
        schedules: schedules(&workflow.on),
        listens_to: listener(&workflow.on),
        is_callable: is_callable(&workflow.on),
        remote,
        graph,
    }
}

/// What every job of a workflow is built with.
struct JobContext<'a> {
    path: &'a str,
    workflow_env: &'a BTreeMap<String, String>,
    versions: &'a HashMap<String, String>,
    catalogue: &'a Catalogue,
}

/// What every step of a job is built with.
struct StepContext<'a> {
    path: &'a str,
    env: &'a BTreeMap<String, String>,
    versions: &'a HashMap<String, String>,
    catalogue: &'a Catalogue,
    env_may_be_exported: bool,
    inherited_secrets: &'a [EnvSecret],
    environment: Option<&'a str>,
}

fn build_job(context: &JobContext<'_>, id: &str, job: &Job) -> JobModel {
    let location = Location::at(context.path, route!["jobs", id]);
    match job {
        Job::NormalJob(job) => normal_job(context, id, job, location),
        Job::ReusableWorkflowCallJob(job) => call_job(id, job, location),
    }
}

fn normal_job(context: &JobContext<'_>, id: &str, job: &NormalJob, location: Location) -> JobModel {
    let own_env = env_map(&job.env);
    let mut env = context.workflow_env.clone();
    env.extend(own_env.clone());
    let inherited = inherited_secrets(context.workflow_env, &own_env, id);
    let environment = job.environment.as_ref().map(|e| match e {
        DeploymentEnvironment::Name(name) => name.clone(),
        DeploymentEnvironment::NameURL { name, .. } => name.clone(),
    });
    let mut step_context = StepContext {
        path: context.path,
        env: &env,
        versions: context.versions,
        catalogue: context.catalogue,
        env_may_be_exported: false,
        inherited_secrets: &inherited,
        environment: environment.as_deref(),
    };
    let mut steps = Vec::new();
    for (index, step) in job.steps.iter().enumerate() {
        let route = route!["jobs", id, "steps", index];
        steps.extend(workflow_step(&step_context, route, index, step));
        step_context.env_may_be_exported |= may_export_env(step);
    }
    JobModel {
        id: id.to_string(),
        needs: job.needs.clone(),
        condition: Condition::from_if(job.r#if.as_ref()),
        location,
        timeout_set: job.timeout_minutes.is_some(),
        body: JobBody::Steps(steps),
    }
}

/// The workflow and job `env:` entries that read a secret, each where it is written;
/// a job entry hides a workflow entry of the same name.
fn inherited_secrets(
    workflow_env: &BTreeMap<String, String>,
    job_env: &BTreeMap<String, String>,
    job_id: &str,
) -> Vec<EnvSecret> {
    let from_workflow = workflow_env
        .iter()
        .filter(|(var, _)| !job_env.contains_key(*var))
        .map(|(var, value)| (var, value, route!["env", var]));
    let from_job = job_env
        .iter()
        .map(|(var, value)| (var, value, route!["jobs", job_id, "env", var]));
    from_workflow
        .chain(from_job)
        .filter(|(_, value, _)| value.contains("secrets"))
        .map(|(var, value, route)| EnvSecret {
            var: var.clone(),
            value: value.clone(),
            route,
        })
        .collect()
}

fn call_job(id: &str, job: &ReusableWorkflowCallJob, location: Location) -> JobModel {
    let secrets = match &job.secrets {
        None => CallSecrets::Nothing,
        Some(Secrets::Inherit) => CallSecrets::Inherit,
        Some(Secrets::Env(entries)) => CallSecrets::Explicit(
            entries
                .iter()
                .map(|(key, value)| (key.clone(), value.to_string()))
                .collect(),
        ),
    };
    JobModel {
        id: id.to_string(),
        needs: job.needs.clone(),
        condition: Condition::from_if(job.r#if.as_ref()),
        location,
        timeout_set: false,
        body: JobBody::Call(Call {
            uses: job.uses.raw().to_string(),
            with: env_map(&job.with),
            secrets,
        }),
    }
}

fn workflow_step(
    context: &StepContext<'_>,
    route: Vec<Segment>,
    index: usize,
    step: &Step,
) -> Option<StepModel> {
    let (shared, uses, with, run) = match step {
        Step::Uses(s) => (&s.shared, Some(s.uses.raw()), env_map(&s.with), None),
        Step::Run(s) => (&s.shared, None, BTreeMap::new(), Some(s.run.as_str())),
        _ => return None,
    };
    let own_env = env_map(&shared.env);
    let mut env = context.env.clone();
    env.extend(own_env.clone());
    let secrets = StepSecrets {
        path: context.path,
        route: &route,
        with: &with,
        own_env: &own_env,
        run,
        is_action: uses.is_some(),
        inherited: context.inherited_secrets,
        environment: context.environment,
    }
    .references(&context.catalogue.notifiers.run.secret_words);
    let location = Location::at(context.path, route);
    let view = StepView {
        uses,
        with: with.clone(),
        run,
        env,
        own_env,
        location: location.clone(),
        version_comment: uses.and_then(|u| context.versions.get(u).cloned()),
        env_may_be_exported: context.env_may_be_exported,
    };
    Some(StepModel {
        index,
        id: shared.id.clone(),
        name: step_name(shared.name.as_deref(), uses, run, index),
        condition: Condition::from_if(shared.r#if.as_ref()),
        continue_on_error: matches!(shared.continue_on_error, LoE::Literal(true)),
        role: classify(&view, context.catalogue),
        is_checkout: uses.is_some_and(is_checkout),
        location,
        with,
        secrets,
    })
}

/// The steps of a composite action, classified like workflow steps.
pub fn build_action_steps(
    path: &str,
    action: &Action,
    versions: &HashMap<String, String>,
    catalogue: &Catalogue,
) -> Option<Vec<StepModel>> {
    let Runs::Composite(composite) = &action.runs else {
        return None;
    };
    let steps = composite
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let (uses, with, run) = match &step.body {
                StepBody::Uses { uses, with } => (Some(uses.raw()), env_map(with), None),
                StepBody::Run { run, .. } => (None, BTreeMap::new(), Some(run.as_str())),
            };
            let own_env = env_map(&step.env);
            let location = Location::at(path, route!["runs", "steps", index]);
            let view = StepView {
                uses,
                with: with.clone(),
                run,
                env: own_env.clone(),
                own_env,
                location: location.clone(),
                version_comment: uses.and_then(|u| versions.get(u).cloned()),
                env_may_be_exported: index > 0,
            };
            StepModel {
                index,
                id: step.id.clone(),
                name: step_name(step.name.as_deref(), uses, run, index),
                condition: Condition::from_if(step.r#if.as_ref()),
                continue_on_error: matches!(step.continue_on_error, LoE::Literal(true)),
                role: classify(&view, catalogue),
                is_checkout: uses.is_some_and(is_checkout),
                location,
                with,
                // A composite action cannot read `secrets`; its caller passes them in.
                secrets: Vec::new(),
            }
        })
        .collect();
    Some(steps)
}

/// Whether a step may set env vars for the steps after it: a script that writes to
/// `$GITHUB_ENV`, or an action (which can export variables) other than a checkout.
fn may_export_env(step: &Step) -> bool {
    match step {
        Step::Run(run) => run.run.contains("GITHUB_ENV"),
        Step::Uses(uses) => !is_checkout(uses.uses.raw()),
        _ => false,
    }
}

fn is_checkout(uses: &str) -> bool {
    uses.trim()
        .to_ascii_lowercase()
        .starts_with("actions/checkout@")
}

fn step_name(name: Option<&str>, uses: Option<&str>, run: Option<&str>, index: usize) -> String {
    if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
        return name.trim().to_string();
    }
    if let Some(uses) = uses {
        return uses.split('@').next().unwrap_or(uses).to_string();
    }
    match run.and_then(|r| r.lines().map(str::trim).find(|l| !l.is_empty())) {
        Some(line) if line.chars().count() > 40 => {
            format!("{}…", line.chars().take(40).collect::<String>())
        }
        Some(line) => line.to_string(),
        None => format!("step {}", index + 1),
    }
}

pub fn env_map(env: &LoE<Env>) -> BTreeMap<String, String> {
    match env {
        LoE::Literal(map) => map
            .iter()
            .map(|(key, value)| (key.clone(), env_value_text(value)))
            .collect(),
        LoE::Expr(_) => BTreeMap::new(),
    }
}

fn env_value_text(value: &EnvValue) -> String {
    value.to_string()
}

fn schedules(trigger: &Trigger) -> Vec<String> {
    match trigger {
        Trigger::Events(events) => match &events.schedule {
            OptionalBody::Body(crons) => crons.iter().map(|c| c.cron.clone()).collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn listener(trigger: &Trigger) -> Option<Listener> {
    let Trigger::Events(events) = trigger else {
        return None;
    };
    match &events.workflow_run {
        OptionalBody::Body(run) => Some(Listener {
            workflows: run.workflows.clone(),
            types: run.types.clone(),
            branch_filter: run.branch_filters.as_ref().map(branch_filter_text),
        }),
        _ => None,
    }
}

fn branch_filter_text(filter: &github_actions_models::workflow::event::BranchFilters) -> String {
    use github_actions_models::workflow::event::BranchFilters;
    match filter {
        BranchFilters::Branches(branches) => {
            format!("the listener's `branches: [{}]`", branches.join(", "))
        }
        BranchFilters::BranchesIgnore(branches) => {
            format!(
                "the listener's `branches-ignore: [{}]`",
                branches.join(", ")
            )
        }
    }
}

fn is_callable(trigger: &Trigger) -> bool {
    use github_actions_models::workflow::event::BareEvent;
    match trigger {
        Trigger::Events(events) => !matches!(events.workflow_call, OptionalBody::Missing),
        Trigger::BareEvent(event) => *event == BareEvent::WorkflowCall,
        Trigger::BareEvents(events) => events.contains(&BareEvent::WorkflowCall),
    }
}

/// Splits `owner/repo/path@ref` for remote references; `None` for local and docker ones.
pub fn remote_parts(uses: &str) -> Option<(String, String)> {
    match Uses::parse(uses).ok()? {
        Uses::Repository(repo) => {
            let action = match repo.subpath() {
                Some(sub) => format!("{}/{}", repo.slug(), sub),
                None => repo.slug().to_string(),
            };
            Some((action, repo.git_ref().to_string()))
        }
        _ => None,
    }
}
