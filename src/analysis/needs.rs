//! The `needs:` graph of a workflow: who needs whom, worked out once per workflow, and the
//! graphs GitHub rejects. A job may not need a job that does not exist, and no job may
//! need itself, directly or through others; such a workflow never runs, so none of its
//! alerts fire. How a valid graph carries failures to notify jobs lives in `routes.rs`.

use std::collections::{BTreeSet, HashMap};

use super::Analyzer;
use super::model::{JobModel, WorkflowModel};
use crate::findings::{Finding, Location, Severity};
use crate::route;

const RULE: &str = "workflow-parse-error";

/// The relations the route search asks for in every imagined run, for every job. Working
/// them out once keeps a workflow with hundreds of jobs from taking minutes.
#[derive(Default)]
pub struct NeedsGraph {
    index: HashMap<String, usize>,
    /// Job positions, each after its needs; jobs in or behind a cycle last, in file order.
    order: Vec<usize>,
    /// Everything each job needs, directly or not: unknown needs included, itself never.
    ancestors: Vec<BTreeSet<String>>,
    /// The jobs that need each job, directly or not.
    descendants: Vec<BTreeSet<String>>,
    /// Whether each job needs itself, directly or through others.
    in_cycle: Vec<bool>,
}

impl NeedsGraph {
    pub fn new(jobs: &[JobModel]) -> Self {
        let index: HashMap<String, usize> = jobs
            .iter()
            .enumerate()
            .map(|(position, job)| (job.id.clone(), position))
            .collect();
        let (ancestors, in_cycle): (Vec<BTreeSet<String>>, Vec<bool>) = (0..jobs.len())
            .map(|position| ancestors_of(jobs, &index, position))
            .unzip();
        let mut descendants = vec![BTreeSet::new(); jobs.len()];
        for (position, above) in ancestors.iter().enumerate() {
            for ancestor in above.iter().filter_map(|id| index.get(id)) {
                descendants[*ancestor].insert(jobs[position].id.clone());
            }
        }
        let order = order_by_needs(jobs, &index);
        Self {
            index,
            order,
            ancestors,
            descendants,
            in_cycle,
        }
    }

    pub fn is_in_cycle(&self, id: &str) -> bool {
        self.position(id)
            .is_some_and(|p| self.in_cycle.get(p) == Some(&true))
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn order(&self) -> &[usize] {
        &self.order
    }

    pub fn ancestors(&self, id: &str) -> BTreeSet<String> {
        self.relation(&self.ancestors, id)
    }

    pub fn descendants(&self, id: &str) -> BTreeSet<String> {
        self.relation(&self.descendants, id)
    }

    fn relation(&self, sets: &[BTreeSet<String>], id: &str) -> BTreeSet<String> {
        self.position(id)
            .and_then(|p| sets.get(p))
            .cloned()
            .unwrap_or_default()
    }
}

/// Everything the job at `position` needs, directly or not, and whether that leads back
/// to the job itself.
fn ancestors_of(
    jobs: &[JobModel],
    index: &HashMap<String, usize>,
    position: usize,
) -> (BTreeSet<String>, bool) {
    let id = jobs[position].id.as_str();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut in_cycle = false;
    let mut pending: Vec<&str> = jobs[position].needs.iter().map(String::as_str).collect();
    while let Some(next) = pending.pop() {
        in_cycle |= next == id;
        if next != id
            && seen.insert(next)
            && let Some(&above) = index.get(next)
        {
            pending.extend(jobs[above].needs.iter().map(String::as_str));
        }
    }
    (seen.into_iter().map(str::to_string).collect(), in_cycle)
}

/// Rounds of jobs whose known needs all came in earlier rounds, each round in file order;
/// then the jobs that never got there because of a cycle, so that a cyclic file is still
/// judged instead of looping.
fn order_by_needs(jobs: &[JobModel], index: &HashMap<String, usize>) -> Vec<usize> {
    let known: Vec<BTreeSet<usize>> = jobs
        .iter()
        .map(|job| {
            job.needs
                .iter()
                .filter_map(|n| index.get(n).copied())
                .collect()
        })
        .collect();
    let mut needed_by = vec![Vec::new(); jobs.len()];
    for (position, needs) in known.iter().enumerate() {
        for need in needs {
            needed_by[*need].push(position);
        }
    }
    let mut waiting: Vec<usize> = known.iter().map(BTreeSet::len).collect();
    let mut round: Vec<usize> = (0..jobs.len()).filter(|p| waiting[*p] == 0).collect();
    let mut order = Vec::with_capacity(jobs.len());
    while !round.is_empty() {
        let mut next = Vec::new();
        for position in &round {
            for later in &needed_by[*position] {
                waiting[*later] -= 1;
                if waiting[*later] == 0 {
                    next.push(*later);
                }
            }
        }
        order.append(&mut round);
        next.sort_unstable();
        round = next;
    }
    let placed: BTreeSet<usize> = order.iter().copied().collect();
    order.extend((0..jobs.len()).filter(|p| !placed.contains(p)));
    order
}

impl Analyzer<'_> {
    /// Reports unknown needs and every cycle once, for the workflows of this repository.
    pub(super) fn check_needs_graphs(&self) {
        let local = self
            .workflows
            .iter()
            .filter(|w| self.repo.workflow(w.path).is_some());
        for workflow in local {
            for finding in unknown_needs(workflow).into_iter().chain(cycles(workflow)) {
                self.report(finding);
            }
        }
    }
}

fn unknown_needs(workflow: &WorkflowModel<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for job in &workflow.jobs {
        for need in job.needs.iter().filter(|n| workflow.job(n).is_none()) {
            let message = format!(
                "job `{}` needs `{need}`, which is not a job of this workflow; GitHub rejects the \
                 workflow, so none of its jobs run and none of its alerts can fire",
                job.id
            );
            let location = Location::at(workflow.path, route!["jobs", &job.id, "needs"]);
            findings.push(Finding::new(RULE, Severity::Error, message, location).for_job(&job.id));
        }
    }
    findings
}

/// One finding per cycle, at the first job of the cycle in file order.
fn cycles(workflow: &WorkflowModel<'_>) -> Vec<Finding> {
    let mut covered: BTreeSet<&str> = BTreeSet::new();
    let mut findings = Vec::new();
    for job in &workflow.jobs {
        if covered.contains(job.id.as_str()) || !workflow.graph.is_in_cycle(&job.id) {
            continue;
        }
        let Some(cycle) = cycle_through(workflow, &job.id) else {
            continue;
        };
        covered.extend(cycle.iter().copied());
        let mut shown: Vec<String> = cycle.iter().map(|id| format!("`{id}`")).collect();
        shown.push(format!("`{}`", job.id));
        let message = format!(
            "the needs of these jobs form a cycle: {}; GitHub rejects the workflow, so none of \
             its jobs run and none of its alerts can fire",
            shown.join(" → ")
        );
        let location = Location::at(workflow.path, route!["jobs", &job.id, "needs"]);
        findings.push(Finding::new(RULE, Severity::Error, message, location).for_job(&job.id));
    }
    findings
}

/// The jobs on a shortest path of needs from `start` back to itself, starting with it.
fn cycle_through<'w>(workflow: &'w WorkflowModel<'_>, start: &str) -> Option<Vec<&'w str>> {
    let mut came_from: Vec<(&str, usize)> = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let start = workflow.job(start)?.id.as_str();
    let mut frontier: Vec<(&str, Option<usize>)> = vec![(start, None)];
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for (id, parent) in frontier {
            let index = came_from.len();
            came_from.push((id, parent.unwrap_or(usize::MAX)));
            let Some(job) = workflow.job(id) else {
                continue;
            };
            for need in &job.needs {
                if need == start {
                    return Some(path_to(&came_from, index));
                }
                if let Some(known) = workflow.job(need)
                    && seen.insert(known.id.as_str())
                {
                    next.push((known.id.as_str(), Some(index)));
                }
            }
        }
        frontier = next;
    }
    None
}

fn path_to<'w>(came_from: &[(&'w str, usize)], mut index: usize) -> Vec<&'w str> {
    let mut path = Vec::new();
    while let Some((id, parent)) = came_from.get(index) {
        path.push(*id);
        index = *parent;
    }
    path.reverse();
    path
}
