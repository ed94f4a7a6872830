//! Evaluating `if:` conditions the way the runner does, in three-valued logic.
//!
//! alertlint asks one question of a condition: in a run where something has failed, is it
//! true? Status functions get their values from a [`Scenario`]; contexts that the scenario
//! fixes (`needs.<id>.result`, `github.event.workflow_run.conclusion`, literal inputs) get
//! theirs from it too; every other context is unknown, and the answer may be `Unknown`,
//! with the contexts that made it so.

use std::collections::BTreeMap;

use github_actions_expressions::call::Function;
use github_actions_expressions::literal::Literal;
use github_actions_expressions::op::{BinOp, UnOp};
use github_actions_expressions::{Expr, SpannedExpr};
use github_actions_models::common::If;

/// Expressions nested deeper than this are not evaluated (the answer is unknown), so a
/// hostile condition cannot exhaust the stack.
const MAX_DEPTH: usize = 64;
/// Longer conditions are not parsed at all.
const MAX_LEN: usize = 16 * 1024;

/// The outcome of a condition: true, false, or dependent on contexts we cannot know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    Unknown(Vec<String>),
}

impl Truth {
    pub fn may_fire(&self) -> bool {
        !matches!(self, Truth::False)
    }

    pub fn unknown_contexts(&self) -> &[String] {
        match self {
            Truth::Unknown(contexts) => contexts,
            _ => &[],
        }
    }
}

/// The values the status functions and known contexts take in one imagined run.
#[derive(Clone, Debug, Default)]
pub struct Scenario {
    pub success: bool,
    pub failure: bool,
    pub cancelled: bool,
    /// When not empty, `success()` is unknown: it depends on whether these contexts let
    /// an upstream job run.
    pub success_depends_on: Vec<String>,
    /// Context values fixed by the scenario, keyed by lower-case dotted path, such as
    /// `needs.load.result` or `inputs.alert`. `needs.*.result` is derived from the
    /// `needs.<id>.result` entries.
    pub known: BTreeMap<String, Value>,
}

impl Scenario {
    /// A job or composite whose own steps have all succeeded so far.
    pub fn clean() -> Self {
        Self {
            success: true,
            ..Self::default()
        }
    }

    /// Inside a job, after an earlier step failed.
    pub fn after_failure() -> Self {
        let mut scenario = Self {
            failure: true,
            ..Self::default()
        };
        scenario.set("job.status", Value::text("failure"));
        scenario
    }

    /// Inside a job that was cancelled, for example because it ran past its timeout.
    pub fn after_cancellation() -> Self {
        let mut scenario = Self {
            cancelled: true,
            ..Self::default()
        };
        scenario.set("job.status", Value::text("cancelled"));
        scenario
    }

    pub fn set(&mut self, path: &str, value: Value) {
        self.known.insert(path.to_ascii_lowercase(), value);
    }

    pub fn with(mut self, path: &str, value: Value) -> Self {
        self.set(path, value);
        self
    }
}

/// A value an expression can take, or `Unknown` with the contexts it came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    Array(Vec<Value>),
    Unknown(Vec<String>),
}

impl Value {
    pub fn text(text: &str) -> Self {
        Value::Text(text.to_string())
    }

    /// The runner's truthiness, or `None` when unknown.
    fn truthy(&self) -> Option<bool> {
        match self {
            Value::Null => Some(false),
            Value::Bool(b) => Some(*b),
            Value::Number(n) => Some(*n != 0.0 && !n.is_nan()),
            Value::Text(s) => Some(!s.is_empty()),
            Value::Array(_) => Some(true),
            Value::Unknown(_) => None,
        }
    }

    fn unknown_contexts(&self) -> Vec<String> {
        match self {
            Value::Unknown(contexts) => contexts.clone(),
            Value::Array(items) => items.iter().flat_map(Value::unknown_contexts).collect(),
            _ => Vec::new(),
        }
    }

    /// The runner's number coercion, used when comparing values of different types.
    fn as_number(&self) -> f64 {
        match self {
            Value::Null => 0.0,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Number(n) => *n,
            Value::Text(s) if s.trim().is_empty() => 0.0,
            Value::Text(s) => s.trim().parse().unwrap_or(f64::NAN),
            _ => f64::NAN,
        }
    }
}

/// A parsed condition, ready to evaluate under any scenario.
pub struct Condition {
    source: String,
    /// Whether GitHub wraps it in an implicit `success() && (...)`.
    implicit_success: bool,
    literal: Option<bool>,
    /// The parsed expression, kept so that the many imagined runs do not parse it again;
    /// `None` when it could not be parsed (it then evaluates to unknown).
    node: Option<Node>,
}

impl Condition {
    /// `None` for a missing `if:`, which behaves as `success()`.
    pub fn from_if(condition: Option<&If>) -> Self {
        match condition {
            None => Self {
                source: String::new(),
                implicit_success: true,
                literal: Some(true),
                node: None,
            },
            Some(If::Bool(b)) => Self {
                source: b.to_string(),
                implicit_success: true,
                literal: Some(*b),
                node: None,
            },
            Some(If::Expr(text)) => Self::from_text(text),
        }
    }

    pub fn from_text(text: &str) -> Self {
        let bare = strip_curly(text).to_string();
        let parsed = parse_bounded(&bare);
        let implicit_success = match &parsed {
            Some(expr) => !mentions_status_function(expr, 0),
            None => !mentions_status_word(&bare),
        };
        let node = parsed.as_ref().map(|expr| lower(expr, 0));
        Self {
            source: bare,
            implicit_success,
            literal: None,
            node,
        }
    }

    /// The condition as written, without `${{ }}`.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn has_status_function(&self) -> bool {
        !self.implicit_success
    }

    pub fn evaluate(&self, scenario: &Scenario) -> Truth {
        let body = match self.literal {
            Some(b) => Value::Bool(b),
            None => match &self.node {
                Some(node) => eval(node, scenario),
                // GitHub rejects a condition it cannot parse, and one beyond our limits is
                // not judged: neither may count as an alert that fires.
                None => Value::Bool(false),
            },
        };
        let value = match self.implicit_success {
            true => and(success_value(scenario), body),
            false => body,
        };
        match value.truthy() {
            Some(true) => Truth::True,
            Some(false) => Truth::False,
            None => Truth::Unknown(dedup(value.unknown_contexts())),
        }
    }
}

fn success_value(scenario: &Scenario) -> Value {
    match scenario.success_depends_on.is_empty() {
        true => Value::Bool(scenario.success),
        false => Value::Unknown(scenario.success_depends_on.clone()),
    }
}

fn dedup(mut contexts: Vec<String>) -> Vec<String> {
    contexts.sort();
    contexts.dedup();
    contexts
}

/// Removes one `${{ ... }}` wrapper around the whole condition, as the runner does.
fn strip_curly(text: &str) -> &str {
    let trimmed = text.trim();
    match trimmed
        .strip_prefix("${{")
        .and_then(|t| t.strip_suffix("}}"))
    {
        Some(inner) if !inner.contains("${{") => inner.trim(),
        _ => trimmed,
    }
}

fn parse_bounded(text: &str) -> Option<SpannedExpr<'_>> {
    if text.len() > MAX_LEN || nesting_depth(text) > MAX_DEPTH {
        return None;
    }
    Expr::parse(text).ok()
}

fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '(' | '[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest + longest_not_run(text)
}

/// The longest run of `!` operators (ignoring spaces), each of which nests the parser.
fn longest_not_run(text: &str) -> usize {
    let (mut run, mut longest) = (0usize, 0usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '!' if chars.peek() != Some(&'=') => {
                run += 1;
                longest = longest.max(run);
            }
            c if c.is_whitespace() => {}
            _ => run = 0,
        }
    }
    longest
}

/// A fallback for conditions the parser rejects: GitHub still looks for status
/// functions by name, so we do too, rather than guessing `success()`.
fn mentions_status_word(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["success(", "failure(", "cancelled(", "always("]
        .iter()
        .any(|word| lower.contains(word))
}

fn is_status(function: &Function) -> bool {
    matches!(
        function,
        Function::Success | Function::Failure | Function::Cancelled | Function::Always
    )
}

fn mentions_status_function(expr: &SpannedExpr<'_>, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match &expr.inner {
        Expr::Call(call) => {
            is_status(&call.func)
                || call
                    .args
                    .iter()
                    .any(|a| mentions_status_function(a, depth + 1))
        }
        Expr::BinExpr(bin) => {
            mentions_status_function(&bin.lhs, depth + 1)
                || mentions_status_function(&bin.rhs, depth + 1)
        }
        Expr::UnExpr { expr, .. } => mentions_status_function(expr, depth + 1),
        Expr::Index(inner) => mentions_status_function(inner, depth + 1),
        Expr::Context(ctx) => ctx
            .parts
            .iter()
            .any(|p| mentions_status_function(p, depth + 1)),
        _ => false,
    }
}

/// An expression, owned and reduced to what evaluation needs.
#[derive(Clone, Debug)]
enum Node {
    Literal(Value),
    Status(Function),
    Call {
        function: Function,
        args: Vec<Node>,
        raw: String,
    },
    /// A context, by its lower-case dotted path when it has one.
    Context {
        path: Option<String>,
        raw: String,
    },
    Binary {
        op: Op,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    Not(Box<Node>),
    Unknown(String),
}

#[derive(Clone, Copy, Debug)]
enum Op {
    And,
    Or,
    Eq,
    Neq,
    Gt,
    Ge,
    Lt,
    Le,
}

fn lower(expr: &SpannedExpr<'_>, depth: usize) -> Node {
    if depth > MAX_DEPTH {
        return Node::Unknown(format!("the condition `{}`", expr.origin.raw));
    }
    match &expr.inner {
        Expr::Literal(literal) => Node::Literal(literal_value(literal)),
        Expr::Call(call) if is_status(&call.func) => Node::Status(call.func),
        Expr::Call(call) => Node::Call {
            function: call.func,
            args: call.args.iter().map(|a| lower(a, depth + 1)).collect(),
            raw: expr.origin.raw.to_string(),
        },
        Expr::Context(ctx) => Node::Context {
            path: ctx.as_pattern().map(|p| p.to_ascii_lowercase()),
            raw: expr.origin.raw.to_string(),
        },
        Expr::Identifier(ident) => Node::Unknown(ident.as_str().to_string()),
        Expr::BinExpr(bin) => Node::Binary {
            op: op_of(&bin.op),
            lhs: Box::new(lower(&bin.lhs, depth + 1)),
            rhs: Box::new(lower(&bin.rhs, depth + 1)),
        },
        Expr::UnExpr {
            op: UnOp::Not,
            expr,
        } => Node::Not(Box::new(lower(expr, depth + 1))),
        Expr::Index(inner) => lower(inner, depth + 1),
        Expr::Star => Node::Unknown("*".to_string()),
    }
}

fn op_of(op: &BinOp) -> Op {
    match op {
        BinOp::And => Op::And,
        BinOp::Or => Op::Or,
        BinOp::Eq => Op::Eq,
        BinOp::Neq => Op::Neq,
        BinOp::Gt => Op::Gt,
        BinOp::Ge => Op::Ge,
        BinOp::Lt => Op::Lt,
        BinOp::Le => Op::Le,
    }
}

fn eval(node: &Node, scenario: &Scenario) -> Value {
    match node {
        Node::Literal(value) => value.clone(),
        Node::Status(function) => status_value(function, scenario),
        Node::Call {
            function,
            args,
            raw,
        } => eval_call(function, args, raw, scenario),
        Node::Context { path, raw } => context_value(path.as_deref(), raw, scenario),
        Node::Binary { op, lhs, rhs } => binary(*op, eval(lhs, scenario), eval(rhs, scenario)),
        Node::Not(inner) => match eval(inner, scenario) {
            v @ Value::Unknown(_) => v,
            v => Value::Bool(!v.truthy().unwrap_or(false)),
        },
        Node::Unknown(what) => Value::Unknown(vec![what.clone()]),
    }
}

fn literal_value(literal: &Literal<'_>) -> Value {
    match literal {
        Literal::Number(n) => Value::Number(*n),
        Literal::String(s) => Value::Text(s.to_string()),
        Literal::Boolean(b) => Value::Bool(*b),
        Literal::Null => Value::Null,
    }
}

fn binary(op: Op, lhs: Value, rhs: Value) -> Value {
    match op {
        Op::And => and(lhs, rhs),
        Op::Or => or(lhs, rhs),
        _ if matches!(lhs, Value::Unknown(_)) || matches!(rhs, Value::Unknown(_)) => {
            let mut contexts = lhs.unknown_contexts();
            contexts.extend(rhs.unknown_contexts());
            Value::Unknown(contexts)
        }
        Op::Eq => Value::Bool(loose_equals(&lhs, &rhs)),
        Op::Neq => Value::Bool(!loose_equals(&lhs, &rhs)),
        Op::Gt | Op::Ge | Op::Lt | Op::Le => Value::Bool(ordered(op, &lhs, &rhs)),
    }
}

/// The runner's `<`, `<=`, `>`, `>=`: two strings compare without case, anything else as
/// numbers (where NaN makes every comparison false).
fn ordered(op: Op, lhs: &Value, rhs: &Value) -> bool {
    let ordering = match (lhs, rhs) {
        (Value::Text(a), Value::Text(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
        _ => lhs.as_number().partial_cmp(&rhs.as_number()),
    };
    let Some(ordering) = ordering else {
        return false;
    };
    match op {
        Op::Gt => ordering.is_gt(),
        Op::Ge => ordering.is_ge(),
        Op::Lt => ordering.is_lt(),
        _ => ordering.is_le(),
    }
}

/// `a && b`: the runner returns `a` when it is falsy, else `b`. With an unknown `a`, the
/// result is still known to be falsy when `b` is.
fn and(lhs: Value, rhs: Value) -> Value {
    match lhs.truthy() {
        Some(false) => lhs,
        Some(true) => rhs,
        None if rhs.truthy() == Some(false) => Value::Bool(false),
        None => merge_unknown(lhs, rhs),
    }
}

fn or(lhs: Value, rhs: Value) -> Value {
    match lhs.truthy() {
        Some(true) => lhs,
        Some(false) => rhs,
        None if rhs.truthy() == Some(true) => Value::Bool(true),
        None => merge_unknown(lhs, rhs),
    }
}

fn merge_unknown(lhs: Value, rhs: Value) -> Value {
    let mut contexts = lhs.unknown_contexts();
    contexts.extend(rhs.unknown_contexts());
    Value::Unknown(contexts)
}

/// The runner's `==`: strings compare without case; mixed types compare as numbers.
fn loose_equals(lhs: &Value, rhs: &Value) -> bool {
    match (lhs, rhs) {
        (Value::Text(a), Value::Text(b)) => a.eq_ignore_ascii_case(b),
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Array(_), _) | (_, Value::Array(_)) => false,
        (a, b) => a.as_number() == b.as_number(),
    }
}

fn status_value(function: &Function, scenario: &Scenario) -> Value {
    match function {
        Function::Success => success_value(scenario),
        Function::Failure => Value::Bool(scenario.failure),
        Function::Cancelled => Value::Bool(scenario.cancelled),
        _ => Value::Bool(true),
    }
}

fn eval_call(function: &Function, args: &[Node], raw: &str, scenario: &Scenario) -> Value {
    let arg = |i: usize| args.get(i).map_or(Value::Null, |a| eval(a, scenario));
    match function {
        Function::Contains => contains(arg(0), arg(1)),
        Function::StartsWith => text_test(arg(0), arg(1), |a, b| a.starts_with(b)),
        Function::EndsWith => text_test(arg(0), arg(1), |a, b| a.ends_with(b)),
        _ => Value::Unknown(vec![format!("`{raw}`")]),
    }
}

fn contains(haystack: Value, needle: Value) -> Value {
    if let Value::Unknown(_) = needle {
        return merge_unknown(haystack, needle);
    }
    match haystack {
        Value::Array(items) => {
            if items.iter().any(|item| loose_equals(item, &needle)) {
                return Value::Bool(true);
            }
            match items.iter().any(|item| matches!(item, Value::Unknown(_))) {
                true => Value::Unknown(Value::Array(items).unknown_contexts()),
                false => Value::Bool(false),
            }
        }
        Value::Unknown(_) => haystack,
        other => text_test(other, needle, |a, b| a.contains(b)),
    }
}

fn text_test(lhs: Value, rhs: Value, test: fn(&str, &str) -> bool) -> Value {
    match (&lhs, &rhs) {
        (Value::Unknown(_), _) | (_, Value::Unknown(_)) => merge_unknown(lhs, rhs),
        _ => Value::Bool(test(
            &display(&lhs).to_ascii_lowercase(),
            &display(&rhs).to_ascii_lowercase(),
        )),
    }
}

fn display(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Text(s) => s.clone(),
        Value::Array(_) => "Array".to_string(),
        Value::Unknown(_) => String::new(),
    }
}

fn context_value(path: Option<&str>, raw: &str, scenario: &Scenario) -> Value {
    let Some(path) = path else {
        return Value::Unknown(vec![raw.to_string()]);
    };
    if let Some(value) = scenario.known.get(path) {
        return value.clone();
    }
    if let Some(value) = star_value(path, scenario) {
        return value;
    }
    Value::Unknown(vec![raw.to_string()])
}

/// `needs.*.result` and the like: the array of every known value under the wildcard.
fn star_value(path: &str, scenario: &Scenario) -> Option<Value> {
    let (prefix, suffix) = path.split_once(".*.")?;
    let head = format!("{prefix}.");
    let tail = format!(".{suffix}");
    let items: Vec<Value> = scenario
        .known
        .iter()
        .filter(|(key, _)| key.starts_with(&head) && key.ends_with(&tail))
        .filter(|(key, _)| !key[head.len()..key.len() - tail.len()].contains('.'))
        .map(|(_, value)| value.clone())
        .collect();
    let declared = scenario.known.contains_key(&format!("{prefix}.*"));
    (declared || !items.is_empty()).then_some(Value::Array(items))
}

/// The value of a `with:` or env entry as the callee will see it: literal text as is,
/// a whole `${{ expr }}` evaluated under the caller's scenario, anything else unknown.
pub fn evaluate_value(text: &str, scenario: &Scenario) -> Value {
    let trimmed = text.trim();
    if !trimmed.contains("${{") {
        return Value::Text(text.to_string());
    }
    let bare = strip_curly(trimmed);
    if bare.contains("${{") || bare == trimmed {
        return Value::Unknown(vec![format!("`{trimmed}`")]);
    }
    match parse_bounded(bare) {
        Some(expr) => eval(&lower(&expr, 0), scenario),
        None => Value::Unknown(vec![format!("`{trimmed}`")]),
    }
}

#[cfg(test)]
mod tests;
