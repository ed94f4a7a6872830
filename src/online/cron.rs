//! How long a schedule may go quiet: the longest time between two firings of a
//! workflow's cron expressions, in UTC as GitHub runs them. The cron crate does all the
//! matching; this module only walks its answers.
//!
//! Walking every firing is too slow for `*/5 * * * *` over years, so the walk goes by
//! day: a five-field cron fires at the same times of day on every day it fires at all,
//! and only which days it fires on depends on the date. Five years from a leap year
//! cover every gap a 5-field cron can have except those of the Gregorian century rule.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// Reads a cron expression the way GitHub writes them: five fields, names allowed.
pub fn parse(expression: &str) -> Result<Cron, String> {
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .build()
        .parse(expression)
        .map_err(|e| format!("cron `{expression}` cannot be read: {e}"))
}

/// The longest time between two consecutive firings of any of `crons`, or `None` when
/// together they fire fewer than twice in five years.
pub fn longest_gap(crons: &[Cron]) -> Option<Duration> {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single()?;
    let end = Utc.with_ymd_and_hms(2029, 1, 1, 0, 0, 0).single()?;
    let crons = &crons[..crons.len().min(64)];
    let mut days: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    let mut times: Vec<Vec<i64>> = Vec::new();
    for (index, cron) in crons.iter().enumerate() {
        for day in firing_days(cron, start, end) {
            *days.entry(day).or_default() |= 1 << index;
        }
        times.push(times_of_day(cron, start, end));
    }
    longest_gap_over(&days, &times)
}

/// The days in `[start, end)` on which the cron fires at least once.
fn firing_days(cron: &Cron, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<NaiveDate> {
    let mut days = Vec::new();
    let mut cursor = start;
    while let Ok(firing) = cron.find_next_occurrence(&cursor, true) {
        if firing >= end {
            break;
        }
        let day = firing.date_naive();
        days.push(day);
        let Some(next_day) = day.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)) else {
            break;
        };
        cursor = next_day.and_utc();
    }
    days
}

/// The minutes after midnight at which the cron fires, read from its first firing day.
fn times_of_day(cron: &Cron, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<i64> {
    let Ok(first) = cron.find_next_occurrence(&start, true) else {
        return Vec::new();
    };
    if first >= end {
        return Vec::new();
    }
    let day = first.date_naive();
    let mut minutes = Vec::new();
    let mut firing = first;
    while firing.date_naive() == day {
        minutes.push(firing.timestamp().div_euclid(60).rem_euclid(24 * 60));
        match cron.find_next_occurrence(&firing, false) {
            Ok(next) => firing = next,
            Err(_) => break,
        }
    }
    minutes
}

/// Walks the firing days in order: gaps inside a day come from its times of day, gaps
/// across days from the last firing of one firing day to the first of the next.
fn longest_gap_over(days: &BTreeMap<NaiveDate, u64>, times: &[Vec<i64>]) -> Option<Duration> {
    let mut merged: HashMap<u64, Vec<i64>> = HashMap::new();
    let mut previous: Option<i64> = None;
    let mut firings = 0usize;
    let mut longest = 0i64;
    for (day, mask) in days {
        let minutes = merged.entry(*mask).or_insert_with(|| {
            let mut all: Vec<i64> = (0..times.len())
                .filter(|i| mask & (1 << i) != 0)
                .flat_map(|i| times[i].iter().copied())
                .collect();
            all.sort_unstable();
            all.dedup();
            all
        });
        let Some(midnight) = day.and_hms_opt(0, 0, 0) else {
            continue;
        };
        let midnight = midnight.and_utc().timestamp() / 60;
        for minute in minutes.iter() {
            let at = midnight + minute;
            if let Some(before) = previous {
                longest = longest.max(at - before);
            }
            previous = Some(at);
            firings += 1;
        }
    }
    (firings >= 2).then(|| Duration::minutes(longest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(expressions: &[&str]) -> Option<Duration> {
        let crons: Vec<Cron> = expressions.iter().map(|e| parse(e).unwrap()).collect();
        longest_gap(&crons)
    }

    #[test]
    fn daily_and_every_five_minutes() {
        assert_eq!(gap(&["30 2 * * *"]), Some(Duration::hours(24)));
        assert_eq!(gap(&["*/5 * * * *"]), Some(Duration::minutes(5)));
    }

    #[test]
    fn weekdays_only_leaves_the_weekend_gap() {
        assert_eq!(gap(&["0 6 * * 1-5"]), Some(Duration::hours(72)));
        assert_eq!(gap(&["0 6 * * MON-FRI"]), Some(Duration::hours(72)));
    }

    #[test]
    fn several_crons_are_one_schedule() {
        assert_eq!(gap(&["0 6 * * *", "0 18 * * *"]), Some(Duration::hours(12)));
        assert_eq!(
            gap(&["0 6 * * 1-5", "0 6 * * 6,0"]),
            Some(Duration::hours(24))
        );
    }

    #[test]
    fn monthly_gap_is_the_longest_month_and_hours_lists_count() {
        assert_eq!(gap(&["0 4 1 * *"]), Some(Duration::days(31)));
        assert_eq!(gap(&["0 8,20 * * *"]), Some(Duration::hours(12)));
        assert_eq!(gap(&["0 0-3 * * *"]), Some(Duration::hours(21)));
    }

    #[test]
    fn leap_day_schedule_waits_four_years_and_impossible_date_never_fires() {
        assert_eq!(gap(&["0 0 29 2 *"]), Some(Duration::days(1461)));
        assert_eq!(gap(&["0 0 31 2 *"]), None);
    }

    #[test]
    fn six_fields_are_refused_as_github_does() {
        assert!(parse("0 0 3 * * *").is_err());
    }
}
