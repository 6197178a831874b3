//! The timeline of a live session, without threads: the moving average of the class
//! probabilities, the leading class and whether it has held long enough.
//!
//! Time is the frames' own timestamps (milliseconds, strictly increasing), never a
//! clock, so the same frames give the same answers however fast the model runs.

use super::types::LiveOptions;

/// The smoothing and stability state of one session.
#[derive(Debug, Clone)]
pub(crate) struct Tracker {
    half_life_ms: u32,
    stable_after_ms: u32,
    grace_ms: u32,
    switch_margin: f64,
    /// The moving average, one probability per class in the card's order; `None` before
    /// the first usable frame and after starting over.
    average: Option<Vec<f64>>,
    /// Timestamp of the frame that last moved the average.
    averaged_at_ms: u64,
    /// The leading class (index in the card) and the timestamp it took the lead at.
    leader: Option<(usize, u64)>,
    stable: bool,
    held_ms: u64,
}

/// The state after a frame, as a live result reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verdict {
    /// The moving average as `f32`, or `None` when there is none.
    pub(crate) average: Option<Vec<f32>>,
    pub(crate) stable: bool,
    pub(crate) held_ms: u64,
}

impl Tracker {
    pub(crate) fn new(options: &LiveOptions) -> Self {
        Self {
            half_life_ms: options.half_life_ms,
            stable_after_ms: options.stable_after_ms,
            grace_ms: options.quality_grace_ms,
            switch_margin: f64::from(options.switch_margin),
            average: None,
            averaged_at_ms: 0,
            leader: None,
            stable: false,
            held_ms: 0,
        }
    }

    /// A usable frame at `at_ms` whose classes have `probabilities`. `last_usable_ms` is
    /// the timestamp of the latest usable frame pushed before it (dropped ones included);
    /// `shown` says which classes may lead (the classifier's allow and deny lists).
    pub(crate) fn classified(
        &mut self,
        at_ms: u64,
        last_usable_ms: Option<u64>,
        probabilities: &[f32],
        shown: impl Fn(usize) -> bool,
    ) -> Verdict {
        let other_classes = self
            .average
            .as_ref()
            .is_some_and(|average| average.len() != probabilities.len());
        if other_classes || self.gap_too_long(at_ms, last_usable_ms) {
            self.start_over();
        }
        let average = match self.average.take() {
            Some(mut average) => {
                let weight = self.weight(at_ms - self.averaged_at_ms);
                for (a, &p) in average.iter_mut().zip(probabilities) {
                    *a += weight * (f64::from(p) - *a);
                }
                average
            }
            None => probabilities.iter().map(|&p| f64::from(p)).collect(),
        };
        self.averaged_at_ms = at_ms;

        let best = most_probable(&average, &shown);
        self.leader = match (self.leader, best) {
            (_, None) => None,
            (None, Some(best)) => Some((best, at_ms)),
            (Some((leader, since)), Some(best)) => {
                if best != leader && average[best] > average[leader] + self.switch_margin {
                    Some((best, at_ms))
                } else {
                    Some((leader, since))
                }
            }
        };
        self.average = Some(average);
        match self.leader {
            Some((_, since)) => {
                self.held_ms = at_ms - since;
                self.stable = self.held_ms >= u64::from(self.stable_after_ms);
            }
            None => {
                self.held_ms = 0;
                self.stable = false;
            }
        }
        self.verdict()
    }

    /// A frame at `at_ms` that failed the quality checks: nothing changes unless the
    /// session has gone more than the grace period without a usable frame.
    pub(crate) fn unusable(&mut self, at_ms: u64, last_usable_ms: Option<u64>) -> Verdict {
        if self.gap_too_long(at_ms, last_usable_ms) {
            self.start_over();
        }
        self.verdict()
    }

    /// The state as it stands, for a frame that changed nothing (one that failed).
    pub(crate) fn verdict(&self) -> Verdict {
        Verdict {
            average: self
                .average
                .as_ref()
                .map(|average| average.iter().map(|&a| a as f32).collect()),
            stable: self.stable,
            held_ms: self.held_ms,
        }
    }

    fn gap_too_long(&self, at_ms: u64, last_usable_ms: Option<u64>) -> bool {
        match last_usable_ms {
            Some(last) => at_ms.saturating_sub(last) > u64::from(self.grace_ms),
            None => true,
        }
    }

    fn start_over(&mut self) {
        self.average = None;
        self.leader = None;
        self.stable = false;
        self.held_ms = 0;
    }

    /// How far a frame `dt_ms` after the previous one moves the average:
    /// `1 - 0.5^(dt / half_life)`.
    fn weight(&self, dt_ms: u64) -> f64 {
        if self.half_life_ms == 0 {
            return 1.0;
        }
        1.0 - 0.5f64.powf(dt_ms as f64 / f64::from(self.half_life_ms))
    }
}

/// The most probable class that may be shown; the first in the card's order on a tie.
fn most_probable(average: &[f64], shown: &impl Fn(usize) -> bool) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (index, &p) in average.iter().enumerate() {
        if shown(index) && best.is_none_or(|b| p > average[b]) {
            best = Some(index);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(half_life_ms: u32, stable_after_ms: u32, grace_ms: u32, margin: f32) -> Tracker {
        Tracker::new(&LiveOptions {
            half_life_ms,
            stable_after_ms,
            quality_grace_ms: grace_ms,
            switch_margin: margin,
            ..LiveOptions::default()
        })
    }

    fn all(_: usize) -> bool {
        true
    }

    #[test]
    fn the_weight_halves_the_distance_every_half_life() {
        let t = tracker(200, 0, 10_000, 0.0);
        assert_eq!(t.weight(0), 0.0);
        assert!((t.weight(200) - 0.5).abs() < 1e-12);
        assert!((t.weight(400) - 0.75).abs() < 1e-12);
        assert!((t.weight(100) - (1.0 - 0.5f64.sqrt())).abs() < 1e-12);
        assert_eq!(tracker(0, 0, 0, 0.0).weight(1), 1.0);
    }

    #[test]
    fn an_unchanging_scene_averages_to_exactly_its_probabilities() {
        let mut t = tracker(500, 0, 10_000, 0.05);
        let p = [0.1f32, 0.2, 0.3, 0.4];
        let mut last = None;
        for at in [0, 33, 66, 100, 1_000] {
            let v = t.classified(at, last, &p, all);
            assert_eq!(v.average.as_deref(), Some(&p[..]));
            last = Some(at);
        }
    }

    #[test]
    fn a_class_that_may_not_be_shown_never_leads() {
        let mut t = tracker(0, 0, 1_000, 0.0);
        let v = t.classified(0, None, &[0.7, 0.2, 0.1], |i| i != 0);
        assert_eq!(t.leader.map(|(l, _)| l), Some(1));
        assert!(v.stable);
    }

    #[test]
    fn ties_go_to_the_first_class_in_the_card() {
        assert_eq!(most_probable(&[0.25, 0.5, 0.5, 0.0], &all), Some(1));
        assert_eq!(most_probable(&[0.5, 0.5], &|i| i == 1), Some(1));
        assert_eq!(most_probable(&[0.5, 0.5], &|_| false), None);
    }
}
