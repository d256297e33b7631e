//! Reading a human's answer on the controlling terminal (`/dev/tty`), never stdin/stdout: the
//! guarded tool's input and output stay untouched (`psql < dump.sql` still gets the dump).
//! Input is read byte by byte with signals off, so Ctrl-C and Ctrl-D are answers (refusals),
//! a deadline applies, and the terminal's settings are restored on every path: a SIGTERM,
//! SIGHUP, SIGINT or SIGQUIT sent while the question waits is taken as a refusal too, after
//! which the terminal is put back (a signal's default action would leave it without echo).

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::termios::{self, LocalFlags, SetArg, SpecialCharacterIndices, Termios};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    Line(String),
    Interrupted,
    EndOfInput,
    TimedOut,
    /// A signal that ends a process arrived (its name).
    Signalled(&'static str),
}

pub struct Tty {
    file: File,
}

impl Tty {
    /// The controlling terminal, or an error when there is none (an agent's pipe, CI, cron).
    pub fn open() -> std::io::Result<Tty> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")?;
        // /dev/tty can open yet not be a terminal we can configure; check now, not mid-prompt.
        termios::tcgetattr(file.as_fd()).map_err(std::io::Error::from)?;
        Ok(Tty { file })
    }

    pub fn write(&mut self, text: &str) -> std::io::Result<()> {
        self.file.write_all(text.as_bytes())?;
        self.file.flush()
    }

    /// Show `question`, then read one line before `timeout` runs out. `echo: false` for
    /// secrets. The question is written once the terminal is set up and earlier input
    /// flushed, so anything typed after it appears is the answer, and nothing before.
    pub fn ask(
        &mut self,
        question: &str,
        echo: bool,
        timeout: Duration,
    ) -> std::io::Result<Answer> {
        use nix::sys::signal::{SigSet, SigmaskHow, Signal};
        let saved = termios::tcgetattr(self.file.as_fd()).map_err(std::io::Error::from)?;
        // The signals that would end guard with the terminal still raw arrive here instead,
        // while the question waits. (Restore, dropped first, puts the mask back after the
        // terminal: one sent later meets a terminal already restored.)
        let mut ending = SigSet::empty();
        for s in [
            Signal::SIGTERM,
            Signal::SIGHUP,
            Signal::SIGINT,
            Signal::SIGQUIT,
        ] {
            ending.add(s);
        }
        let mut mask = SigSet::empty();
        nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&ending), Some(&mut mask))
            .map_err(std::io::Error::from)?;
        let signals = nix::sys::signalfd::SignalFd::with_flags(
            &ending,
            nix::sys::signalfd::SfdFlags::SFD_CLOEXEC | nix::sys::signalfd::SfdFlags::SFD_NONBLOCK,
        );
        let _restore = Restore {
            file: &self.file,
            saved: saved.clone(),
            mask,
        };
        let signals = signals.map_err(std::io::Error::from)?;
        let mut raw = saved;
        raw.local_flags
            .remove(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG | LocalFlags::IEXTEN);
        raw.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
        raw.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
        // TCSAFLUSH drops anything typed before the question was shown: an answer must
        // follow the prompt, not be queued up in advance.
        termios::tcsetattr(self.file.as_fd(), SetArg::TCSAFLUSH, &raw)
            .map_err(std::io::Error::from)?;
        (&self.file).write_all(question.as_bytes())?;
        (&self.file).flush()?;
        let deadline = Instant::now() + timeout;
        let mut line: Vec<u8> = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Answer::TimedOut);
            }
            let ms = u16::try_from(left.as_millis().min(u128::from(u16::MAX - 1))).unwrap_or(1000);
            let mut fds = [
                PollFd::new(self.file.as_fd(), PollFlags::POLLIN),
                PollFd::new(signals.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, PollTimeout::from(ms)) {
                Ok(0) => continue,
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
            if fds[1]
                .revents()
                .is_some_and(|r| r.contains(PollFlags::POLLIN))
                && let Ok(Some(info)) = signals.read_signal()
            {
                let name =
                    Signal::try_from(info.ssi_signo as i32).map_or("a signal", Signal::as_str);
                return Ok(Answer::Signalled(name));
            }
            if fds[0].revents().is_none_or(|r| r.is_empty()) {
                continue;
            }
            let mut byte = [0u8; 1];
            if (&self.file).read(&mut byte)? == 0 {
                return Ok(Answer::EndOfInput);
            }
            match byte[0] {
                0x03 => return Ok(Answer::Interrupted),
                0x04 => return Ok(Answer::EndOfInput),
                b'\r' | b'\n' => {
                    (&self.file).write_all(b"\r\n")?;
                    return Ok(Answer::Line(String::from_utf8_lossy(&line).into_owned()));
                }
                0x7f | 0x08 => {
                    let erased = line.pop().is_some();
                    if erased && echo {
                        (&self.file).write_all(b"\x08 \x08")?;
                    }
                }
                0x15 => line.clear(),
                b if b >= 0x20 => {
                    line.push(b);
                    if echo {
                        (&self.file).write_all(&[b])?;
                    }
                }
                _ => {}
            }
        }
    }
}

/// Puts the terminal back as it was, then the signal mask, however `ask` ends.
struct Restore<'a> {
    file: &'a File,
    saved: Termios,
    mask: nix::sys::signal::SigSet,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(self.file.as_fd(), SetArg::TCSANOW, &self.saved);
        let _ = self.mask.thread_set_mask();
    }
}
