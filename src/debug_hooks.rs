//! Points where the integration tests can interrupt the binary, to see what a crash or a
//! kill at that moment leaves behind. They exist only in debug builds (the ones `cargo
//! test` runs); in a release build every hook is empty and the variables are ignored.

/// With `ALERTLINT_TEST_PAUSE_BEFORE_RENAME_MS` set, says so on stderr and sleeps that
/// long after an output's temporary file is complete and before it is renamed.
pub fn pause_before_rename() {
    #[cfg(debug_assertions)]
    if let Some(millis) = std::env::var("ALERTLINT_TEST_PAUSE_BEFORE_RENAME_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        eprintln!("alertlint: test hook: paused before rename");
        std::thread::sleep(std::time::Duration::from_millis(millis));
    }
}

/// With `ALERTLINT_TEST_PANIC` set, panics with its value as the message, so that tests
/// can see what the panic hook prints.
pub fn panic_if_asked() {
    #[cfg(debug_assertions)]
    if let Ok(message) = std::env::var("ALERTLINT_TEST_PANIC") {
        panic!("{message}");
    }
}
