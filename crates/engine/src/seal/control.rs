//! Pausing and cancelling a running seal from outside (the app's buttons).
//!
//! Both act between batches: a batch in flight always runs its safe path to
//! the end (or is settled by the journal), so a pause or a cancel never
//! leaves a message half-done. A paused run keeps its IMAP sessions' work
//! finished and holds the account's lock, so no other run starts meanwhile.

use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Run,
    Pause,
    Cancel,
}

/// A handle the caller keeps to pause, resume or cancel a run.
#[derive(Debug)]
pub struct SealControl {
    state: watch::Sender<State>,
}

impl Default for SealControl {
    fn default() -> Self {
        Self {
            state: watch::Sender::new(State::Run),
        }
    }
}

impl SealControl {
    /// Workers take no new batch until [`resume`](Self::resume).
    pub fn pause(&self) {
        self.state.send_if_modified(|s| {
            let changed = *s == State::Run;
            if changed {
                *s = State::Pause;
            }
            changed
        });
    }

    /// Workers go on.
    pub fn resume(&self) {
        self.state.send_if_modified(|s| {
            let changed = *s == State::Pause;
            if changed {
                *s = State::Run;
            }
            changed
        });
    }

    /// Workers take no new batch; the run ends once the batches in flight
    /// are done. Final: a cancelled run cannot be resumed.
    pub fn cancel(&self) {
        self.state.send_replace(State::Cancel);
    }

    /// Whether the run was cancelled.
    pub fn is_cancelled(&self) -> bool {
        *self.state.borrow() == State::Cancel
    }

    /// Whether the run is paused.
    pub fn is_paused(&self) -> bool {
        *self.state.borrow() == State::Pause
    }

    /// Waits while paused; `false` when cancelled.
    pub(crate) async fn proceed(&self) -> bool {
        let mut rx = self.state.subscribe();
        match rx.wait_for(|s| *s != State::Pause).await {
            Ok(state) => *state == State::Run,
            // The sender lives in `self`: it cannot be gone.
            Err(_) => false,
        }
    }
}
