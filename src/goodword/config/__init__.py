"""Site configuration as code: one YAML or JSON file describes a site's whole referral program
(settings, fraud policies, blocklist, coupon lists, campaigns and incentives).

`schema` validates a parsed document into a `Program` (pure: pydantic models whose leaves
`values` reads), `formats` reads and writes the file, `services.config_apply` writes a program in
one transaction and `selectors.config_export` reads a site back into the same format.
docs/configuration.md describes the format.
"""
