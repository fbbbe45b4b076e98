"""How the agents decide: physicians (treatment, referral), patients (where to seek care, where to list)."""
