//! `coffer account add|list|test|remove|allow-expunge`: the IMAP accounts a vault seals.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use coffer_engine::NewAccount;
use coffer_engine::net::Security;

use crate::server::{ServerArgs, parse_host_port};

/// `coffer account …`
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Add an account; its password is stored only inside the encrypted vault database.
    Add(Box<AddArgs>),
    /// List the accounts (never their passwords).
    List {
        /// Print machine-readable JSON.
        #[arg(long)]
        json: bool,
    },
    /// Connect, log in, list folders and show the server's capabilities.
    Test {
        /// The account.
        name: String,
        /// Print machine-readable JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign in again to an account that uses OAuth (after the provider
    /// revoked or expired its sign-in).
    Signin {
        /// The account.
        name: String,
    },
    /// Remove an account from the vault (nothing on the server changes).
    Remove {
        /// The account.
        name: String,
    },
    /// List the providers whose servers are known (the app's presets).
    Presets {
        /// Print machine-readable JSON.
        #[arg(long)]
        json: bool,
    },
    /// Let `seal` remove originals again after it caught the server removing
    /// other clients' \Deleted mail on UID EXPUNGE (check the server first).
    AllowExpunge {
        /// The account.
        name: String,
    },
}

/// Options of `coffer account add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// A name for the account.
    pub name: String,
    /// The server and how to log in.
    #[command(flatten)]
    pub server: ServerArgs,
    /// The SMTP server for sending, as HOST:PORT (implicit TLS, usually 465).
    #[arg(long, value_name = "HOST:PORT")]
    pub smtp: Option<String>,
    /// Submit with STARTTLS (usually port 587) instead of implicit TLS;
    /// refused if the server does not upgrade.
    #[arg(long, requires = "smtp")]
    pub smtp_starttls: bool,
}

/// Runs an account subcommand.
pub fn run(dir: &Path, pass_file: Option<&Path>, command: AccountCommand) -> anyhow::Result<()> {
    if let AccountCommand::Presets { json } = command {
        return presets(json);
    }
    let vault = super::unlock(dir, pass_file)?;
    match command {
        AccountCommand::Add(args) => {
            // The provisioning profile's servers, where the user names none.
            let profile = vault.profile()?;
            let from_profile = |s: &Option<coffer_engine::profile::Server>| {
                s.as_ref().map(|s| {
                    (
                        s.host.clone(),
                        s.port,
                        s.security == "starttls",
                        s.ca_file.clone(),
                    )
                })
            };
            let (imap_host, imap_port, mut security, mut ca_file) = match &args.server.imap {
                Some(imap) => {
                    let (h, p) = parse_host_port(imap)?;
                    (h, p, args.server.security(), args.server.ca_file.clone())
                }
                None => match profile.as_ref().and_then(|p| from_profile(&p.imap)) {
                    Some((h, p, starttls, ca)) => (
                        h,
                        p,
                        if starttls {
                            Security::StartTls
                        } else {
                            Security::Tls
                        },
                        ca.map(PathBuf::from),
                    ),
                    None => {
                        return Err(coffer_engine::refusal(
                            coffer_engine::Code::BadRequest,
                            "--imap HOST:PORT is needed (no provisioning profile names a server)",
                        ));
                    }
                },
            };
            if args.server.insecure_loopback {
                security = Security::InsecureLoopback;
            }
            if args.server.ca_file.is_some() {
                ca_file.clone_from(&args.server.ca_file);
            }
            let (smtp, smtp_starttls) = match &args.smtp {
                Some(s) => (Some(parse_host_port(s)?), args.smtp_starttls),
                None => match profile.as_ref().and_then(|p| from_profile(&p.smtp)) {
                    Some((h, p, starttls, _)) => (Some((h, p)), starttls),
                    None => (None, false),
                },
            };
            let name = args.name.clone();
            let oauth = args.server.oauth_request();
            let password = match oauth {
                Some(_) => secrecy::SecretString::from(String::new()),
                None => args.server.password()?,
            };
            let account = NewAccount {
                name: args.name,
                imap_host,
                imap_port,
                password,
                security,
                username: args.server.user,
                ca_file,
                smtp,
                smtp_starttls,
            };
            match oauth {
                Some(request) => {
                    let signed = crate::server::sign_in(&request, |k| vault.oauth_setting(k))?;
                    vault.add_oauth_account(account, &signed)?;
                    say!(
                        "added account {name:?}, signed in with {} (the refresh token is kept in \
                         the encrypted vault)",
                        signed.provider.display()
                    );
                }
                None => {
                    vault.add_account(account)?;
                    say!("added account {name:?}");
                }
            }
        }
        AccountCommand::Signin { name } => {
            let request = vault.oauth_request(&name)?;
            let signed = crate::server::sign_in(&request, |k| vault.oauth_setting(k))?;
            vault.replace_oauth_grant(&name, &signed)?;
            say!("signed in again: account {name:?} works with the new sign-in");
        }
        AccountCommand::List { json } => {
            let accounts = vault.accounts()?;
            if json {
                println!("{}", crate::term::json(&accounts)?);
            } else if accounts.is_empty() {
                say!("no accounts (add one with `coffer account add`)");
            } else {
                for a in accounts {
                    say!(
                        "{}\t{}@{}:{}\t{}{}",
                        a.name,
                        a.username,
                        a.imap_host,
                        a.imap_port,
                        a.security,
                        a.smtp.map(|s| format!("\tsmtp {s}")).unwrap_or_default()
                    );
                }
            }
        }
        AccountCommand::Test { name, json } => {
            let runtime = super::runtime()?;
            let test = runtime.block_on(vault.test_account(&name))?;
            if json {
                println!("{}", crate::term::json(&test)?);
            } else {
                say!("login ok ({})", if test.tls { "TLS" } else { "no TLS" });
                say!("what the server offers, and what Coffer does with it:");
                for line in &test.report {
                    say!(
                        "  {:<20} {:<4} {}",
                        line.capability,
                        if line.offered { "yes" } else { "no" },
                        line.coffer_does
                    );
                }
                say!("capabilities: {}", test.capabilities.join(" "));
                say!(
                    "folders ({}): {}",
                    test.folders.len(),
                    test.folders.join(", ")
                );
            }
        }
        AccountCommand::Presets { .. } => presets(false)?,
        AccountCommand::Remove { name } => {
            vault.remove_account(&name)?;
            say!("removed account {name:?}");
        }
        AccountCommand::AllowExpunge { name } => match vault.expunge_refusal(&name)? {
            Some(why) => {
                vault.allow_expunge(&name)?;
                println!("expunging was off for account {name:?}, {why}");
                println!("seal removes originals on account {name:?} again");
            }
            None => println!("expunging is not off for account {name:?}: nothing to allow"),
        },
    }
    Ok(())
}

/// The known providers: what to pass to `account add`.
fn presets(json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", crate::term::json(&coffer_engine::PRESETS)?);
        return Ok(());
    }
    for p in coffer_engine::PRESETS {
        let starttls = match p.security {
            coffer_engine::net::Security::StartTls => " --starttls",
            _ => "",
        };
        // 587 is submission with STARTTLS; 465 implicit TLS.
        let smtp_starttls = if p.smtp_port == 587 {
            " --smtp-starttls"
        } else {
            ""
        };
        say!(
            "{:<12} {:<13} --imap {}:{}{starttls} --smtp {}:{}{smtp_starttls}",
            p.id,
            p.name,
            p.imap_host,
            p.imap_port,
            p.smtp_host,
            p.smtp_port
        );
        say!("{:<26} {}", "", p.note);
    }
    Ok(())
}
