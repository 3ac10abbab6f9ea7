"""Next-best-action: decisions over stories, eligibility, contact policy, arbitration and learning.

Pure core: `decision_model` (the YAML as frozen data), `decision_loader` (YAML -> model, file:line
errors), `arbitration` (eligibility, contact policy, propensity x value x lever, exploration),
`bandit` (the online model), `evaluation` (off-policy estimates). Edges: `store` (SQL),
`engine` (decides for a customer and logs it), `outcomes` (beacon outcomes -> rewards -> model),
`adaptive_links` (a new link's variant for `allocation: adaptive`, from the story's own file).
"""
