//! A loopback IMAP proxy whose tests rewrite whole commands and responses:
//! a real Dovecot behind it, made to do what it never would on its own.
//!
//! [`RewriteProxy`] sits in front of Dovecot's plaintext IMAP port (Coffer
//! reaches it with `Security::InsecureLoopback`). It frames the traffic the
//! way IMAP does — a line, and after a line ending in `{n}` (or the client's
//! LITERAL+ `{n+}`) exactly `n` bytes of literal, then the rest of the line —
//! so a hook sees whole units, never a random cut:
//!
//! * [`RewriteProxy::on_command`] gets each client command's first line
//!   (without CRLF, tag included) and may replace it. Literal bytes and the
//!   line after them pass unchanged, so a synchronising literal still gets
//!   its `+` from the server.
//! * [`RewriteProxy::on_response`] gets each complete server response (a
//!   tagged or untagged one with all its literals, or a `+` continuation)
//!   and returns the bytes to send instead: the same, changed, or nothing.
//!   [`Response`] parses one into text and literals and writes it back with
//!   every `{n}` fixed to its literal's new length.
//!
//! Hooks run on the proxy's threads, one unit at a time, before the unit is
//! forwarded: a hook that changes the mailbox (through `doveadm`) does so
//! before the server sees the command it is looking at.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use anyhow::Result;

type CommandHook = Box<dyn FnMut(&str) -> Option<String> + Send>;
type ResponseHook = Box<dyn FnMut(&[u8]) -> Vec<u8> + Send>;

#[derive(Default)]
struct Hooks {
    on_command: Option<CommandHook>,
    on_response: Option<ResponseHook>,
}

struct State {
    upstream: u16,
    stop: AtomicBool,
    hooks: Mutex<Hooks>,
    /// Every command line the clients sent, as received (before any rewrite).
    commands: Mutex<Vec<String>>,
    open: Mutex<Vec<TcpStream>>,
}

/// Forwards 127.0.0.1:`port()` to an upstream IMAP port, passing whole
/// commands and responses through the hooks set (none: transparent).
pub struct RewriteProxy {
    port: u16,
    state: Arc<State>,
}

impl std::fmt::Debug for RewriteProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RewriteProxy")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl RewriteProxy {
    /// Starts a transparent proxy to 127.0.0.1:`upstream` (a plaintext
    /// IMAP port, e.g. [`crate::MailServer::imap_port`]).
    pub fn start(upstream: u16) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(State {
            upstream,
            stop: AtomicBool::new(false),
            hooks: Mutex::new(Hooks::default()),
            commands: Mutex::new(Vec::new()),
            open: Mutex::new(Vec::new()),
        });
        let accept_state = Arc::clone(&state);
        thread::spawn(move || {
            for client in listener.incoming() {
                if accept_state.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", accept_state.upstream)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                if let Ok(mut open) = accept_state.open.lock() {
                    for s in [&client, &server] {
                        if let Ok(c) = s.try_clone() {
                            open.push(c);
                        }
                    }
                }
                let (Ok(c_read), Ok(s_write), Ok(s_read), Ok(c_write)) = (
                    client.try_clone(),
                    server.try_clone(),
                    server.try_clone(),
                    client.try_clone(),
                ) else {
                    continue;
                };
                let st = Arc::clone(&accept_state);
                thread::spawn(move || pump(c_read, s_write, &st, Direction::ToServer));
                let st = Arc::clone(&accept_state);
                thread::spawn(move || pump(s_read, c_write, &st, Direction::ToClient));
            }
        });
        Ok(Self { port, state })
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sets the command hook: it gets each command's first line (tag
    /// included, no CRLF); `Some(line)` sends `line` instead, `None` sends
    /// the command as it was.
    pub fn on_command(&self, hook: impl FnMut(&str) -> Option<String> + Send + 'static) {
        if let Ok(mut hooks) = self.state.hooks.lock() {
            hooks.on_command = Some(Box::new(hook));
        }
    }

    /// Sets the response hook: it gets each complete server response (CRLF
    /// and literals included) and returns what the client receives instead
    /// (empty: the response is dropped).
    pub fn on_response(&self, hook: impl FnMut(&[u8]) -> Vec<u8> + Send + 'static) {
        if let Ok(mut hooks) = self.state.hooks.lock() {
            hooks.on_response = Some(Box::new(hook));
        }
    }

    /// Removes both hooks: transparent again.
    pub fn clear(&self) {
        if let Ok(mut hooks) = self.state.hooks.lock() {
            *hooks = Hooks::default();
        }
    }

    /// The command lines clients sent so far (as sent, before any rewrite).
    pub fn commands(&self) -> Vec<String> {
        self.state
            .commands
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    /// Forgets the commands recorded so far.
    pub fn forget_commands(&self) {
        if let Ok(mut c) = self.state.commands.lock() {
            c.clear();
        }
    }
}

impl Drop for RewriteProxy {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        if let Ok(mut open) = self.state.open.lock() {
            for s in open.drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    ToServer,
    ToClient,
}

/// One framed piece of traffic.
struct Unit {
    bytes: Vec<u8>,
    /// A client command's first line (not a line after a literal).
    command_start: bool,
}

/// Splits a byte stream into IMAP units. Toward the server a unit ends at
/// every line end, literal or not (the client may wait for `+` before it
/// sends the literal), and a literal passes as its own unit; toward the
/// client a unit is a whole response, literals included.
struct Framer {
    direction: Direction,
    pending: Vec<u8>,
    unit: Vec<u8>,
    literal_left: usize,
    /// Toward the server: the next line continues a command after a literal.
    continuing: bool,
}

impl Framer {
    fn new(direction: Direction) -> Self {
        Self {
            direction,
            pending: Vec::new(),
            unit: Vec::new(),
            literal_left: 0,
            continuing: false,
        }
    }

    /// Takes in `bytes` and returns every unit completed by them.
    fn feed(&mut self, bytes: &[u8]) -> Vec<Unit> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        loop {
            if self.literal_left > 0 {
                let take = self.literal_left.min(self.pending.len());
                if take == 0 {
                    break;
                }
                self.unit.extend(self.pending.drain(..take));
                self.literal_left -= take;
                if self.literal_left == 0 && self.direction == Direction::ToServer {
                    out.push(Unit {
                        bytes: std::mem::take(&mut self.unit),
                        command_start: false,
                    });
                }
                continue;
            }
            let Some(end) = self.pending.windows(2).position(|w| w == b"\r\n") else {
                break;
            };
            let line: Vec<u8> = self.pending.drain(..end + 2).collect();
            let literal = literal_len(&line);
            let first_line_of_unit = self.unit.is_empty();
            self.unit.extend_from_slice(&line);
            match self.direction {
                Direction::ToServer => {
                    out.push(Unit {
                        bytes: std::mem::take(&mut self.unit),
                        command_start: first_line_of_unit && !self.continuing,
                    });
                    self.continuing = literal.is_some();
                }
                Direction::ToClient if literal.is_none() => out.push(Unit {
                    bytes: std::mem::take(&mut self.unit),
                    command_start: false,
                }),
                Direction::ToClient => {}
            }
            if let Some(n) = literal {
                self.literal_left = n;
            }
        }
        out
    }
}

/// The length announced by a line ending in `{n}` or `{n+}` (CRLF after).
fn literal_len(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\r\n")?;
    let inner = line.strip_suffix(b"}")?;
    let inner = inner.strip_suffix(b"+").unwrap_or(inner);
    let open = inner.iter().rposition(|b| *b == b'{')?;
    let digits = inner.get(open + 1..)?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn pump(mut from: TcpStream, mut to: TcpStream, st: &State, direction: Direction) {
    let mut framer = Framer::new(direction);
    let mut buf = [0u8; 64 * 1024];
    'outer: loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for unit in framer.feed(buf.get(..n).unwrap_or_default()) {
            let bytes = rewrite(st, direction, unit);
            if !bytes.is_empty() && to.write_all(&bytes).is_err() {
                break 'outer;
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

fn rewrite(st: &State, direction: Direction, unit: Unit) -> Vec<u8> {
    match direction {
        Direction::ToServer if unit.command_start => {
            let line = String::from_utf8_lossy(unit.bytes.strip_suffix(b"\r\n").unwrap_or(&[]))
                .into_owned();
            if let Ok(mut commands) = st.commands.lock() {
                commands.push(line.clone());
            }
            let replaced = st
                .hooks
                .lock()
                .ok()
                .and_then(|mut h| h.on_command.as_mut().and_then(|hook| hook(&line)));
            match replaced {
                Some(new) => format!("{new}\r\n").into_bytes(),
                None => unit.bytes,
            }
        }
        Direction::ToServer => unit.bytes,
        Direction::ToClient => {
            let mut hooks = match st.hooks.lock() {
                Ok(h) => h,
                Err(_) => return unit.bytes,
            };
            match hooks.on_response.as_mut() {
                Some(hook) => hook(&unit.bytes),
                None => unit.bytes,
            }
        }
    }
}

/// One server response, split into its text and its literals, for a hook
/// to change and write back with every `{n}` fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Text, each followed by the literal it announced (its `{n}` CRLF
    /// left out of the text); the last text ends with CRLF and has none.
    parts: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Response {
    /// Parses one complete response as [`RewriteProxy::on_response`] gets it.
    pub fn parse(bytes: &[u8]) -> Self {
        let mut parts = Vec::new();
        let mut rest = bytes;
        loop {
            let end = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .map_or(rest.len(), |e| e + 2);
            let (line, after) = rest.split_at(end);
            match literal_len(line) {
                Some(n) if after.len() >= n => {
                    let open = line.iter().rposition(|b| *b == b'{').unwrap_or(0);
                    let (literal, next) = after.split_at(n);
                    parts.push((line[..open].to_vec(), Some(literal.to_vec())));
                    rest = next;
                }
                _ => {
                    parts.push((rest.to_vec(), None));
                    return Self { parts };
                }
            }
        }
    }

    /// The bytes to send, each literal announced with its length now.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (text, literal) in &self.parts {
            out.extend_from_slice(text);
            if let Some(l) = literal {
                out.extend_from_slice(format!("{{{}}}\r\n", l.len()).as_bytes());
                out.extend_from_slice(l);
            }
        }
        out
    }

    /// The response's text without its literals.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (text, _) in &self.parts {
            s.push_str(&String::from_utf8_lossy(text));
        }
        s
    }

    /// The UID of an untagged FETCH response (`* n FETCH (… UID u …)`).
    pub fn fetch_uid(&self) -> Option<u32> {
        let text = self.text();
        if !text.starts_with("* ") || !text.contains(" FETCH (") {
            return None;
        }
        let at = text.find("UID ")? + 4;
        let digits: String = text[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    }

    /// The whole-message body (`BODY[]` with a literal, no `<origin>`).
    pub fn whole_body(&self) -> Option<&Vec<u8>> {
        let i = self.whole_body_index()?;
        self.parts.get(i)?.1.as_ref()
    }

    /// Whether this is a FETCH response carrying a partial body
    /// (`BODY[]<origin>`), as an answer to a head fetch.
    pub fn has_partial_body(&self) -> bool {
        self.parts
            .iter()
            .any(|(t, l)| l.is_some() && String::from_utf8_lossy(t).trim_end().ends_with('>'))
    }

    /// Cuts the whole body to its first `keep` bytes (the `{n}` follows).
    pub fn truncate_body(&mut self, keep: usize) -> &mut Self {
        if let Some(i) = self.whole_body_index()
            && let Some((_, Some(body))) = self.parts.get_mut(i)
        {
            body.truncate(keep);
        }
        self
    }

    /// Turns the whole `BODY[]` into a partial reply `BODY[]<0>` (same bytes).
    pub fn make_body_partial(&mut self) -> &mut Self {
        if let Some(i) = self.whole_body_index()
            && let Some((text, _)) = self.parts.get_mut(i)
        {
            let s = String::from_utf8_lossy(text).into_owned();
            if let Some(at) = s.rfind("BODY[]") {
                let mut new = s[..at + 6].to_owned();
                new.push_str("<0>");
                new.push_str(&s[at + 6..]);
                *text = new.into_bytes();
            }
        }
        self
    }

    /// Replaces the value of `RFC822.SIZE`.
    pub fn set_size(&mut self, size: u64) -> &mut Self {
        for (text, _) in &mut self.parts {
            let s = String::from_utf8_lossy(text).into_owned();
            if let Some(at) = s.find("RFC822.SIZE ") {
                let start = at + "RFC822.SIZE ".len();
                let len = s[start..].chars().take_while(char::is_ascii_digit).count();
                *text = format!("{}{size}{}", &s[..start], &s[start + len..]).into_bytes();
            }
        }
        self
    }

    fn whole_body_index(&self) -> Option<usize> {
        self.parts.iter().position(|(t, l)| {
            l.is_some() && String::from_utf8_lossy(t).trim_end().ends_with("BODY[]")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_framer_keeps_literals_whole_however_the_bytes_arrive() {
        let wire: &[u8] =
            b"* 1 FETCH (UID 7 BODY[] {5}\r\nab\r\nc)\r\n* 2 EXISTS\r\na1 OK done\r\n";
        for chunk in 1..wire.len() {
            let mut f = Framer::new(Direction::ToClient);
            let units: Vec<Vec<u8>> = wire
                .chunks(chunk)
                .flat_map(|c| f.feed(c))
                .map(|u| u.bytes)
                .collect();
            assert_eq!(
                units,
                vec![
                    b"* 1 FETCH (UID 7 BODY[] {5}\r\nab\r\nc)\r\n".to_vec(),
                    b"* 2 EXISTS\r\n".to_vec(),
                    b"a1 OK done\r\n".to_vec()
                ],
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn toward_the_server_only_a_command_start_is_one() {
        let mut f = Framer::new(Direction::ToServer);
        let units = f.feed(b"a2 APPEND INBOX {3+}\r\nx\r\n\r\na3 NOOP\r\n");
        let starts: Vec<(Vec<u8>, bool)> = units
            .into_iter()
            .map(|u| (u.bytes, u.command_start))
            .collect();
        assert_eq!(
            starts,
            vec![
                (b"a2 APPEND INBOX {3+}\r\n".to_vec(), true),
                (b"x\r\n".to_vec(), false),
                (b"\r\n".to_vec(), false),
                (b"a3 NOOP\r\n".to_vec(), true),
            ]
        );
    }

    #[test]
    fn a_response_is_rewritten_with_its_literal_count_fixed() {
        let wire = b"* 1 FETCH (UID 7 RFC822.SIZE 5 BODY[] {5}\r\nhello)\r\n";
        let mut r = Response::parse(wire);
        assert_eq!(r.to_bytes(), wire.to_vec());
        assert_eq!(r.fetch_uid(), Some(7));
        assert_eq!(r.whole_body().map(Vec::as_slice), Some(&b"hello"[..]));
        assert!(!r.has_partial_body());
        r.truncate_body(2).set_size(9);
        assert_eq!(
            r.to_bytes(),
            b"* 1 FETCH (UID 7 RFC822.SIZE 9 BODY[] {2}\r\nhe)\r\n".to_vec()
        );
        r.make_body_partial();
        assert_eq!(
            r.to_bytes(),
            b"* 1 FETCH (UID 7 RFC822.SIZE 9 BODY[]<0> {2}\r\nhe)\r\n".to_vec()
        );
        assert!(r.has_partial_body());
        assert_eq!(r.whole_body(), None);
    }
}
