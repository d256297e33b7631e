//! An audit entry as the one JSON line the log holds, written without serde_json or
//! core::fmt: every shim call writes one, and those sit on pages of the binary that nothing
//! else a call runs touches (README, Performance). `read` parses the lines with serde_json;
//! the unit tests hold both to the same text.

use super::Entry;
use crate::decimal;

impl Entry {
    /// The entry as one line of JSON, as serde_json would write it (`read` parses it back
    /// with serde_json; a unit test holds the two to the same output). Each key is written
    /// with its punctuation as one literal of its own: a bare `"parent"` would be merged
    /// with another crate's equal constant, wherever that one sits in the binary.
    pub(super) fn json_line(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        let opt = |out: &mut Vec<u8>, key: &[u8], value: &Option<String>| {
            out.extend_from_slice(key);
            match value {
                Some(v) => string(out, v),
                None => out.extend_from_slice(b"null"),
            }
        };
        out.extend_from_slice(b"{\"time\":");
        string(&mut out, &self.time);
        out.extend_from_slice(b",\"tool\":");
        string(&mut out, &self.tool);
        out.extend_from_slice(b",\"argv\":");
        list(&mut out, &self.argv);
        out.extend_from_slice(b",\"cwd\":");
        string(&mut out, &self.cwd);
        out.extend_from_slice(b",\"decision\":");
        string(&mut out, &self.decision);
        out.extend_from_slice(b",\"outcome\":");
        string(&mut out, &self.outcome);
        out.extend_from_slice(b",\"rules\":");
        list(&mut out, &self.rules);
        out.extend_from_slice(b",\"approved_by\":");
        string(&mut out, &self.approved_by);
        if let Some(why) = &self.refused_because {
            out.extend_from_slice(b",\"refused_because\":");
            string(&mut out, why);
        }
        out.extend_from_slice(b",\"uid\":");
        match self.uid {
            Some(uid) => decimal::push(&mut out, u64::from(uid)),
            None => out.extend_from_slice(b"null"),
        }
        opt(&mut out, b",\"tty\":", &self.tty);
        opt(&mut out, b",\"parent\":", &self.parent);
        opt(&mut out, b",\"agent\":", &self.agent);
        out.extend_from_slice(b"}\n");
        out
    }
}

fn list(out: &mut Vec<u8>, values: &[String]) {
    out.push(b'[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, v);
    }
    out.push(b']');
}

/// A JSON string: `"` and `\\` escaped, control characters as serde_json writes them.
fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch, in UTC (the proleptic
/// Gregorian calendar: Howard Hinnant's `civil_from_days`).
pub(super) fn rfc3339_seconds(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let of_day = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = Vec::with_capacity(20);
    let two = |out: &mut Vec<u8>, n: u64| {
        out.push(b'0' + (n / 10) as u8);
        out.push(b'0' + (n % 10) as u8);
    };
    decimal::push(&mut out, u64::try_from(year).unwrap_or(0));
    out.push(b'-');
    two(&mut out, month as u64);
    out.push(b'-');
    two(&mut out, day as u64);
    out.push(b'T');
    two(&mut out, of_day / 3600);
    out.push(b':');
    two(&mut out, of_day / 60 % 60);
    out.push(b':');
    two(&mut out, of_day % 60);
    out.push(b'Z');
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            time: "2026-12-02T06:09:42Z".into(),
            tool: "railway".into(),
            argv: vec![
                "railway".into(),
                "a \"b\" \\ c\n\t\r\u{8}\u{c}\u{1}\u{1f}\u{7f} é \u{fffd}".into(),
            ],
            cwd: "/tmp/x y".into(),
            decision: "deny".into(),
            outcome: "refused".into(),
            rules: vec!["railway.volume.delete".into(), "r2".into()],
            approved_by: "none".into(),
            refused_because: Some("denied".into()),
            uid: Some(4_294_967_295),
            tty: None,
            parent: Some("bash".into()),
            agent: None,
        }
    }

    #[test]
    fn the_line_is_what_serde_json_writes() {
        let mut e = entry();
        let mut expected = serde_json::to_vec(&e).unwrap();
        expected.push(b'\n');
        assert_eq!(
            String::from_utf8(e.json_line()).unwrap(),
            String::from_utf8(expected).unwrap()
        );
        e.refused_because = None;
        e.uid = Some(0);
        e.rules.clear();
        e.tty = Some("/dev/pts/3".into());
        let mut expected = serde_json::to_vec(&e).unwrap();
        expected.push(b'\n');
        assert_eq!(
            String::from_utf8(e.json_line()).unwrap(),
            String::from_utf8(expected).unwrap()
        );
        e.uid = None;
        let mut expected = serde_json::to_vec(&e).unwrap();
        expected.push(b'\n');
        assert_eq!(
            String::from_utf8(e.json_line()).unwrap(),
            String::from_utf8(expected).unwrap()
        );
    }

    #[test]
    fn every_control_character_is_escaped_as_serde_json_does() {
        let mut e = entry();
        e.argv = vec![(0u8..0x80).map(char::from).collect()];
        let mut expected = serde_json::to_vec(&e).unwrap();
        expected.push(b'\n');
        assert_eq!(e.json_line(), expected);
    }

    #[test]
    fn timestamps_are_what_humantime_writes() {
        let mut secs = 0u64;
        // Every day from 1970 to past 2400 (leap centuries included), at varied times of day.
        while secs < 14_000_000_000 {
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            assert_eq!(
                rfc3339_seconds(secs),
                humantime::format_rfc3339_seconds(t).to_string(),
                "{secs}"
            );
            secs += 86_400 + 3_607;
        }
        assert_eq!(rfc3339_seconds(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_seconds(0), "1970-01-01T00:00:00Z");
    }
}
