//! Per-SA timers: one fixed table indexed by an enum, no heap of jobs.

/// The timers of an IKE SA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Resend the outstanding request.
    Retransmit = 0,
    /// Give up on a half-open SA.
    HalfOpen = 1,
    /// Rekey the IKE SA.
    RekeyIke = 2,
    /// Rekey or expire a Child SA (the earliest of them).
    Child = 3,
    /// Liveness check (DPD).
    Liveness = 4,
    /// NAT keepalive.
    Keepalive = 5,
    /// Drop a finished SA's leftovers (response cache after a delete).
    Reap = 6,
}

const N: usize = 7;

/// Deadlines (ms on the caller's monotonic clock) for each timer.
#[derive(Clone, Copy, Debug, Default)]
pub struct TimerTable([Option<u64>; N]);

impl TimerTable {
    /// Arms `t` at `at`.
    pub fn set(&mut self, t: Timer, at: u64) {
        self.0[t as usize] = Some(at);
    }

    /// Disarms `t`.
    pub fn stop(&mut self, t: Timer) {
        self.0[t as usize] = None;
    }

    /// When `t` fires, if armed.
    pub fn get(&self, t: Timer) -> Option<u64> {
        self.0[t as usize]
    }

    /// The earliest armed deadline.
    pub fn next(&self) -> Option<u64> {
        self.0.iter().flatten().min().copied()
    }

    /// Disarms and returns the timers due at `now`, earliest first.
    pub fn expired(&mut self, now: u64) -> Vec<Timer> {
        const ALL: [Timer; N] = [
            Timer::Retransmit,
            Timer::HalfOpen,
            Timer::RekeyIke,
            Timer::Child,
            Timer::Liveness,
            Timer::Keepalive,
            Timer::Reap,
        ];
        let mut due: Vec<(u64, Timer)> = ALL
            .iter()
            .filter_map(|&t| self.get(t).filter(|&at| at <= now).map(|at| (at, t)))
            .collect();
        due.sort_by_key(|(at, t)| (*at, *t as usize));
        for (_, t) in &due {
            self.stop(*t);
        }
        due.into_iter().map(|(_, t)| t).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::Liveness, 50);
        t.set(Timer::Retransmit, 10);
        assert_eq!(t.next(), Some(10));
        assert_eq!(t.expired(9), vec![]);
        assert_eq!(t.expired(60), vec![Timer::Retransmit, Timer::Liveness]);
        assert_eq!(t.next(), None);
    }
}
