//! Points where the integration tests can interrupt the binary, to see what a crash or a
//! kill at that moment leaves behind. They exist only in debug builds (the ones `cargo
//! test` runs); in a release build every hook is empty and the variables are ignored.

/// With `ALERTLINT_TEST_PANIC` set, panics with its value as the message, so that tests
/// can see what the panic hook prints.
pub fn panic_if_asked() {
    #[cfg(debug_assertions)]
    if let Ok(message) = std::env::var("ALERTLINT_TEST_PANIC") {
        panic!("{message}");
    }
}
