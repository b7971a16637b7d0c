//! How far ahead to load while scrolling. The distance follows what is observed: the server's
//! round-trip time and how fast the user moves, so that the rows arrive before the selection
//! does, and it is capped so a held key never queues a flood of requests.

use std::time::{Duration, Instant};

/// A pause longer than this ends a scroll: the speed starts over.
const PAUSE: Duration = Duration::from_millis(600);
/// Slack on top of the round trip: drawing, decoding, the next key press.
const SLACK: Duration = Duration::from_millis(50);

#[derive(Debug, Clone)]
pub struct Prefetch {
    /// Rows ahead always wanted while scrolling (half a page by default).
    pub base: usize,
    /// Never more rows ahead than this.
    pub max_ahead: usize,
    /// Off: only what is on screen is fetched (the baseline the benchmark compares with).
    pub enabled: bool,
    /// Smoothed round trip of page requests, seconds.
    latency: f64,
    /// Smoothed scrolling speed, rows per second.
    speed: f64,
    last_move: Option<Instant>,
}

impl Prefetch {
    pub fn new(page_size: usize) -> Self {
        Prefetch {
            base: (page_size / 2).max(1),
            max_ahead: page_size * 5,
            enabled: true,
            latency: 0.0,
            speed: 0.0,
            last_move: None,
        }
    }

    /// A page request took `took`.
    pub fn observe_latency(&mut self, took: Duration) {
        let secs = took.as_secs_f64();
        self.latency = if self.latency == 0.0 {
            secs
        } else {
            0.7 * self.latency + 0.3 * secs
        };
    }

    /// The selection moved `rows` rows at `now`.
    pub fn observe_move(&mut self, rows: usize, now: Instant) {
        let rate = match self.last_move {
            Some(last) if now.duration_since(last) < PAUSE => {
                // Key repeat arrives in bursts; a floor keeps one burst from reading as infinite.
                let dt = now.duration_since(last).as_secs_f64().max(0.01);
                rows as f64 / dt
            }
            _ => 0.0,
        };
        self.speed = if rate == 0.0 {
            0.0
        } else {
            0.5 * self.speed + 0.5 * rate
        };
        self.last_move = Some(now);
    }

    /// Rows to have loaded beyond the screen in the direction of travel: enough to cover two
    /// round trips (plus slack) at the current speed, at least `base`, at most `max_ahead`.
    pub fn distance(&self) -> usize {
        if !self.enabled {
            return 0;
        }
        let horizon = 2.0 * (self.latency + SLACK.as_secs_f64());
        let ahead = (self.speed * horizon).ceil() as usize;
        ahead.clamp(self.base, self.max_ahead.max(self.base))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_scrolling_on_a_fast_link_keeps_the_base_distance() {
        let mut p = Prefetch::new(100);
        p.observe_latency(Duration::from_millis(2));
        let t = Instant::now();
        for i in 0..10 {
            p.observe_move(1, t + Duration::from_millis(100 * i));
        }
        assert_eq!(p.distance(), 50);
    }

    #[test]
    fn fast_paging_on_a_slow_link_looks_further_ahead_but_bounded() {
        let mut p = Prefetch::new(100);
        p.observe_latency(Duration::from_millis(100));
        let t = Instant::now();
        // PgDn five times a second, 58 rows each.
        for i in 0..10 {
            p.observe_move(58, t + Duration::from_millis(200 * i));
        }
        let d = p.distance();
        assert!((58..=500).contains(&d), "{d}");
        assert!(d > 58, "more than one jump ahead: {d}");
        // Absurd speed is capped at five pages.
        for i in 0..10 {
            p.observe_move(10_000, t + Duration::from_millis(2_000 + 10 * i));
        }
        assert_eq!(p.distance(), 500);
    }

    #[test]
    fn a_pause_resets_the_speed_and_off_means_nothing_ahead() {
        let mut p = Prefetch::new(100);
        p.observe_latency(Duration::from_millis(100));
        let t = Instant::now();
        for i in 0..3 {
            p.observe_move(58, t + Duration::from_millis(200 * i));
        }
        assert!(p.distance() > 50, "{}", p.distance());
        p.observe_move(1, t + Duration::from_secs(5));
        assert_eq!(p.distance(), 50);
        p.enabled = false;
        assert_eq!(p.distance(), 0);
    }
}
