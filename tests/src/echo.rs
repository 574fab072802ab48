//! What a client saw during a failover: the lines of `carp-echo-probe`
//! (`src/bin/echo_probe.rs`, a request every interval on a fixed schedule)
//! and the outage they show.

/// One probe run: every request sent and every reply, as (sequence, unix
/// seconds).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probe {
    /// Requests, in sending order.
    pub sent: Vec<(u16, f64)>,
    /// Replies, in arrival order.
    pub replies: Vec<(u16, f64)>,
}

/// The longest stretch of unanswered requests between two answered ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outage {
    /// When the last request answered before the stretch was sent (s).
    pub last_answered_sent: f64,
    /// When its reply came (s).
    pub last_reply: f64,
    /// When the first request answered after the stretch was sent (s).
    pub first_answered_sent: f64,
    /// When its reply came (s).
    pub first_reply: f64,
    /// Requests in the stretch that got no reply.
    pub unanswered: usize,
}

impl Outage {
    /// Client-observed downtime in seconds: the time between the two
    /// answered requests' sending less one interval, i.e. the time during
    /// which every request went unanswered, to within one interval.
    pub fn downtime(&self, interval: f64) -> f64 {
        (self.first_answered_sent - self.last_answered_sent - interval).max(0.0)
    }
}

impl Probe {
    /// Parses the probe's `sent <seq> <t>` / `reply <seq> <t>` lines;
    /// other lines are ignored.
    pub fn parse(text: &str) -> Probe {
        let mut probe = Probe::default();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let (Some(kind), Some(seq), Some(at), None) =
                (words.next(), words.next(), words.next(), words.next())
            else {
                continue;
            };
            let (Ok(seq), Ok(at)) = (seq.parse::<u16>(), at.parse::<f64>()) else {
                continue;
            };
            match kind {
                "sent" => probe.sent.push((seq, at)),
                "reply" => probe.replies.push((seq, at)),
                _ => {}
            }
        }
        probe
    }

    /// The first reply to request `seq`, if any.
    pub fn reply_to(&self, seq: u16) -> Option<f64> {
        self.replies
            .iter()
            .filter(|(s, _)| *s == seq)
            .map(|(_, at)| *at)
            .reduce(f64::min)
    }

    /// The first run of unanswered requests that ends after the instant
    /// `at` (unix seconds): the outage a crash at `at` caused, even when it
    /// took effect a little after `at`; `None` when no answered request
    /// follows one left unanswered after `at`.
    pub fn outage_around(&self, at: f64) -> Option<Outage> {
        self.outages()
            .into_iter()
            .find(|o| o.first_answered_sent > at)
    }

    /// The longest run of unanswered requests that has an answered request
    /// on both sides; `None` when there is no such run.
    pub fn outage(&self) -> Option<Outage> {
        self.outages().into_iter().max_by(|x, y| {
            let gap = |o: &Outage| o.first_answered_sent - o.last_answered_sent;
            gap(x).total_cmp(&gap(y))
        })
    }

    /// Every run of unanswered requests between two answered ones, in
    /// sending order.
    fn outages(&self) -> Vec<Outage> {
        let answered: Vec<(u16, f64, f64)> = self
            .sent
            .iter()
            .filter_map(|(seq, at)| Some((*seq, *at, self.reply_to(*seq)?)))
            .collect();
        let unanswered_between = |from: f64, to: f64| {
            self.sent
                .iter()
                .filter(|(seq, at)| *at > from && *at < to && self.reply_to(*seq).is_none())
                .count()
        };
        answered
            .windows(2)
            .filter_map(|w| match w {
                [a, b] => Some(Outage {
                    last_answered_sent: a.1,
                    last_reply: a.2,
                    first_answered_sent: b.1,
                    first_reply: b.2,
                    unanswered: unanswered_between(a.1, b.1),
                }),
                _ => None,
            })
            .filter(|o| o.unanswered > 0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_unanswered_run_between_two_answers_is_the_outage() {
        // 10 ms cadence; 3-4 unanswered (one blip), 6-10 unanswered.
        let mut text = String::new();
        for seq in 0..14u16 {
            let at = 100.0 + f64::from(seq) * 0.01;
            text.push_str(&format!("sent {seq} {at:.6}\n"));
            if ![3, 6, 7, 8, 9, 10].contains(&seq) {
                text.push_str(&format!("reply {seq} {:.6}\n", at + 0.0002));
            }
        }
        let probe = Probe::parse(&text);
        assert_eq!(probe.sent.len(), 14);
        assert_eq!(probe.replies.len(), 8);
        let o = probe.outage().unwrap();
        assert_eq!(o.unanswered, 5);
        assert!((o.last_answered_sent - 100.05).abs() < 1e-9);
        assert!((o.first_answered_sent - 100.11).abs() < 1e-9);
        assert!((o.first_reply - 100.1102).abs() < 1e-9);
        // Five requests unanswered at 10 ms: 50 ms down.
        assert!((o.downtime(0.01) - 0.05).abs() < 1e-9);
        // The first outage ending after 100.025 is the blip (request 3),
        // even if it started after the instant; after 100.045 the long one.
        let blip = probe.outage_around(100.025).unwrap();
        assert_eq!(blip.unanswered, 1);
        assert_eq!(probe.outage_around(100.045), Some(o));
        assert_eq!(probe.outage_around(100.08), Some(o));
        assert_eq!(probe.outage_around(100.125), None);
    }

    #[test]
    fn no_outage_without_a_lost_request_or_without_a_later_answer() {
        let all = Probe::parse("sent 0 1.0\nreply 0 1.001\nsent 1 1.01\nreply 1 1.011\n");
        assert_eq!(all.outage(), None);
        let tail = Probe::parse("sent 0 1.0\nreply 0 1.001\nsent 1 1.01\n");
        assert_eq!(tail.outage(), None);
        assert_eq!(
            Probe::parse("garbage\nsent x 1\nreply 1 2 3\n"),
            Probe::default()
        );
    }
}
