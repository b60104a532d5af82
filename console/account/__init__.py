"""Who is signed in where: the session, sign-in, environments, the audit log."""
