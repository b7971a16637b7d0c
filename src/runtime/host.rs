//! What the event loop needs from the terminal besides drawing on it: the binary's
//! `tui::Console` implements it; tests record what would reach the terminal instead.

use std::io;

use ratatui::Terminal;
use ratatui::backend::Backend;

/// What the event loop needs from the terminal besides drawing on it.
pub trait Host<B: Backend> {
    /// Ctrl-z: give the terminal back, stop, and take it again once resumed.
    fn suspend(&mut self, terminal: &mut Terminal<B>) -> io::Result<()>;
    /// Writes bytes straight to the terminal (an OSC 52 sequence).
    fn write_raw(&mut self, terminal: &mut Terminal<B>, bytes: &[u8]) -> io::Result<()>;
    /// Gives the terminal to another program (the pager) until it exits, then takes it back.
    fn hand_over(
        &mut self,
        terminal: &mut Terminal<B>,
        command: &mut std::process::Command,
    ) -> io::Result<std::process::ExitStatus>;
}
