pub mod postfix;
