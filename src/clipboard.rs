//! Getting a value into the user's clipboard from inside an SSH session: OSC 52, which the
//! user's own terminal carries out wherever it runs, wrapped for tmux and screen when the app
//! runs inside one; or a configured command (`wl-copy`, `pbcopy`, `xclip -selection c`).
//! Deciding how, and building the bytes, is pure; the runtime writes them.

use base64::Engine;

/// The largest OSC 52 payload sent, in bytes of base64. Terminals cap what they accept (hterm
/// and many others at about 100 kB, tmux's own buffer similarly); a larger value is shown to be
/// selected by hand instead of being silently cut.
pub const MAX_OSC52_BASE64: usize = 100_000;

/// What the terminal is wrapped in, which decides how OSC 52 must be escaped to get through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mux {
    None,
    /// tmux takes a plain OSC 52 itself with `set-clipboard on`, and passes one on inside
    /// `ESC P tmux; … ESC \` (every ESC doubled) with `allow-passthrough on`. Both are sent,
    /// so either setting works; with both on the clipboard is just set twice to the same value.
    Tmux,
    /// GNU screen passes DCS strings on, in pieces of at most 76 bytes.
    Screen,
}

impl Mux {
    /// Reads the environment the way the multiplexers announce themselves: `TMUX` is set inside
    /// tmux, `STY` inside screen (whose `TERM` also starts with `screen`, but tmux uses that
    /// `TERM` too, so `TMUX` is checked first).
    pub fn detect(env: impl Fn(&str) -> Option<String>) -> Mux {
        let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
        if set("TMUX") {
            Mux::Tmux
        } else if set("STY") {
            Mux::Screen
        } else {
            Mux::None
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Mux::None => "OSC 52",
            Mux::Tmux => "OSC 52 through tmux",
            Mux::Screen => "OSC 52 through screen",
        }
    }
}

/// How a value reaches the clipboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Write these bytes to the terminal.
    Osc52(Vec<u8>),
    /// Run this command (no shell) with the value on its standard input.
    Command(Vec<String>),
    /// Too large, or a terminal known not to take OSC 52: show the value to select by hand.
    Show,
}

/// Decides how to copy `text`: the configured command if there is one, else OSC 52 unless
/// the terminal cannot take it (the Linux console, `dumb`) or the value is too large.
pub fn plan(text: &str, command: Option<&[String]>, mux: Mux, term: Option<&str>) -> Delivery {
    if let Some(command) = command.filter(|c| !c.is_empty()) {
        return Delivery::Command(command.to_vec());
    }
    if matches!(term, Some("linux" | "dumb")) {
        return Delivery::Show;
    }
    osc52(text.as_bytes(), mux).map_or(Delivery::Show, Delivery::Osc52)
}

/// The OSC 52 sequence that puts `payload` in the clipboard (`c`), wrapped for `mux`; `None`
/// when it is larger than [`MAX_OSC52_BASE64`].
pub fn osc52(payload: &[u8], mux: Mux) -> Option<Vec<u8>> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(payload);
    if encoded.len() > MAX_OSC52_BASE64 {
        return None;
    }
    let plain = format!("\x1b]52;c;{encoded}\x07").into_bytes();
    Some(match mux {
        Mux::None => plain,
        Mux::Tmux => {
            let mut out = plain.clone();
            out.extend_from_slice(b"\x1bPtmux;");
            for &b in &plain {
                if b == 0x1b {
                    out.push(0x1b);
                }
                out.push(b);
            }
            out.extend_from_slice(b"\x1b\\");
            out
        }
        Mux::Screen => {
            let mut out = Vec::with_capacity(plain.len() + plain.len() / 76 * 4 + 4);
            for piece in plain.chunks(76) {
                out.extend_from_slice(b"\x1bP");
                out.extend_from_slice(piece);
                out.extend_from_slice(b"\x1b\\");
            }
            out
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_osc52_is_the_base64_of_the_value_ended_by_bel() {
        assert_eq!(
            osc52(b"hello", Mux::None).unwrap(),
            b"\x1b]52;c;aGVsbG8=\x07".to_vec()
        );
    }

    #[test]
    fn tmux_gets_it_plain_and_wrapped_in_dcs_with_every_escape_doubled() {
        assert_eq!(
            osc52(b"hello", Mux::Tmux).unwrap(),
            b"\x1b]52;c;aGVsbG8=\x07\x1bPtmux;\x1b\x1b]52;c;aGVsbG8=\x07\x1b\\".to_vec()
        );
    }

    #[test]
    fn screen_gets_pieces_of_at_most_76_bytes() {
        let value = "x".repeat(200);
        let out = osc52(value.as_bytes(), Mux::Screen).unwrap();
        let plain = osc52(value.as_bytes(), Mux::None).unwrap();
        // Every piece is `ESC P`, at most 76 bytes of the plain sequence, `ESC \`.
        let pieces: Vec<&[u8]> = out.chunks(76 + 4).collect();
        assert_eq!(pieces.len(), plain.len().div_ceil(76));
        for piece in &pieces {
            assert!(piece.starts_with(b"\x1bP") && piece.ends_with(b"\x1b\\"));
        }
        assert!(out.starts_with(b"\x1bP\x1b]52;c;"));
        assert!(out.ends_with(b"\x07\x1b\\"));
        let unwrapped: Vec<u8> = out
            .chunks(76 + 4)
            .flat_map(|c| c[2..c.len() - 2].to_vec())
            .collect();
        assert_eq!(unwrapped, plain);
    }

    #[test]
    fn too_large_a_value_is_refused() {
        let limit_raw = MAX_OSC52_BASE64 / 4 * 3;
        assert!(osc52(&vec![b'a'; limit_raw], Mux::None).is_some());
        assert!(osc52(&vec![b'a'; limit_raw + 1], Mux::None).is_none());
        assert_eq!(
            plan(&"a".repeat(limit_raw + 1), None, Mux::None, None),
            Delivery::Show
        );
    }

    #[test]
    fn the_environment_picks_the_wrapping() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Mux::detect(env(&[])), Mux::None);
        assert_eq!(
            Mux::detect(env(&[
                ("TMUX", "/tmp/tmux-0/default,1,0"),
                ("STY", "1.pts")
            ])),
            Mux::Tmux
        );
        assert_eq!(Mux::detect(env(&[("STY", "1.pts-0.host")])), Mux::Screen);
        assert_eq!(Mux::detect(env(&[("TMUX", "")])), Mux::None);
    }

    #[test]
    fn a_command_wins_and_a_console_shows_the_value() {
        let cmd = vec!["wl-copy".to_string()];
        assert_eq!(
            plan("v", Some(&cmd), Mux::Tmux, Some("linux")),
            Delivery::Command(cmd.clone())
        );
        assert_eq!(plan("v", None, Mux::None, Some("linux")), Delivery::Show);
        assert!(matches!(
            plan("v", None, Mux::None, Some("xterm-256color")),
            Delivery::Osc52(_)
        ));
    }
}
