"""Privacy by default: pseudonymous user ids (`pseudonyms`), personal data blanked before
anything is stored (`redaction`), the retention period (`retention`), and the adoption
lead's team mapping, which names accounts and so stays out of version control (`teams`)."""
