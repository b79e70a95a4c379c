"""Login methods, one module each: they prove who a caller is (GitHub, GitHub Actions OIDC,
DNS, HTTPS well-known file, an operator's OIDC provider, or nobody) and say what that grants,
through the rules in :mod:`registrum.core.identity`."""
