"""The Markdown handout: each stage, the model's rule behind it (docs/model.md in plain
words, with this scenario's numbers), what the figures show, and the run's numbers.
Every number is a `tables.Row` rendered by `Row.text()`, the same rows the CSV tables
hold."""
from __future__ import annotations

import math

from ..funnels import Funnel
from ..scenario import Scenario
from ..stats import MIN_REPLICATES
from ..viz.style import stage_label
from . import tables
from .recorder import FunnelRecord
from .tables import Row, get


def pct(x: float) -> str:
    v = 100 * x
    return f"{v:.0f}%" if abs(v - round(v)) < 1e-9 else f"{v:.3g}%"


def _boosted(base: float, lift: float) -> float:
    return 1 - (1 - base) * (1 - lift)


def stage_rules(sc: Scenario, f: Funnel) -> list[tuple[str, str, str]]:
    """(stage, what it means, the rule in the model) for every stage of the funnel."""
    w, r = sc.wom, sc.response
    u = sc.scenario.unit
    sicas = f.kind == "sicas"
    first, P = f.stages[0], f.n_pre
    adv = f.advance
    ad = (f"advertising makes an unaware agent aware with p_external = {pct(w.p_external)} {u.per}, and "
          if w.p_external > 0 else "there is no advertising (p_external = 0), so only ")
    rows = [("Unaware", "has not heard of the product.",
             f"Each {u.one} {ad}any message from a friend, or a KOL's post, makes it aware. It enters "
             f"{stage_label(first)} and first moves on in the next {u.one}.")]
    meaning = {
        "attention": "has noticed the product.",
        "interest": "wants to know more.",
        "search": "looks the product up on their own.",
        "sense": "is aware of the product, and the brand can sense them.",
        "interest_interactive": "interacts with the product and the brand.",
        "connect_communicate": "connects with other consumers and talks it over.",
    }
    for k in range(P):
        st = f.stages[k]
        nxt = stage_label(f.stages[k + 1]) if k + 1 < P else "Action (buys)"
        parts = [f"Moves on to {nxt} with {pct(adv[k])} {u.per}."]
        if f.message_boost[k] and f.positive_boost > 0:
            parts.append(f"Friends' positive messages raise it: p = 1 − (1 − {adv[k]:g})(1 − {f.positive_boost:g})^k "
                         f"for k positive messages that {u.one}.")
        else:
            parts.append("Friends' messages do not change it" + (" (the consumer's own step)." if not sicas else "."))
        if f.brand_boost[k] and f.brand_engagement > 0:
            parts.append(f"If the brand has sensed the agent, its engagement lifts it to 1 − (1 − p)(1 − "
                         f"{f.brand_engagement:g}): {pct(_boosted(adv[k], f.brand_engagement))} without messages (a).")
        elif not sicas and k == P - 1:
            parts.append("The brand does not move it either.")
        if k == 0 and sicas:
            parts.append(f"The brand's monitoring finds each aware agent in the funnel with response.detect_prob = "
                         f"{pct(r.detect_prob)} {u.per}; a sensed agent stays sensed (a).")
            if f.skip > 0:
                parts.append(f"With skip = {pct(f.skip)} {u.per} the agent jumps straight to Action (d).")
        rows.append((stage_label(st), meaning.get(st, "a stage of this funnel."), " ".join(parts)))
    share = (f"A buyer becomes a sharer with share_prob = {pct(w.share_prob)} and draws how many friends to tell: "
             f"on average {w.positive_tells:g} after a good experience, {w.negative_tells:g} after a bad one "
             f"({w.tells_distribution}).")
    rows.append((stage_label(f.stages[P]), "buys.",
                 f"The experience is bad with p_negative_experience = {pct(w.p_negative_experience)}, "
                 f"else good. {share}"))
    if w.mode == "cascade":
        tell = (f"Stays active {u.count(w.active_steps)} and tells each friend with transmissibility "
                f"{pct(w.transmissibility)} {u.per}, then is Done.")
    else:
        tell = (f"Tells {w.tells_per_step} friends {u.per}, never the same friend twice, until the retellings run "
                "out (or every friend has been told), then is Done.")
    when = (f"Sharing is real time: a buyer tells in the same {u.one} it buys (c)." if f.realtime_share
            else f"A buyer first tells in the {u.one} after buying.")
    rows.append((stage_label(f.stages[P + 1]), "tells friends about it.", f"{tell} {when}"))
    rows.append(("Rejected", "decided against it after bad news.",
                 f"Each negative message makes an agent who has not bought reject with reject_per_negative = "
                 f"{pct(w.reject_per_negative)}. Rejecters never buy; {pct(w.rejecter_shares)} of them tell their own "
                 "bad story."))
    rows.append(("Done", "bought and has finished telling.", "Nothing changes any more (unless the firm's answer "
                 "turns a complainer into a promoter)."))
    return rows


def _kols_line(sc: Scenario, kols, degrees, per_replicate: bool = False) -> str:
    s = sc.seeding
    ids = ", ".join(f"agent {k} ({d} friends)" for k, d in zip(kols[:10], degrees[:10]))
    more = f" and {len(kols) - 10} more" if len(kols) > 10 else ""
    if not len(kols):
        return "No KOLs (seeding.budget = 0)."
    which = " (drawn afresh for every replicate; replicate 0's are shown)" if per_replicate else ""
    return (f"{len(kols)} KOLs picked by seeding.strategy = {s.strategy!r}{which}: {ids}{more}. "
            "They start as happy customers; "
            f"at {sc.scenario.unit.one} 1 each posts once, and each friend sees the post with kol_reach = "
            f"{pct(s.kol_reach)}.")


def _response_line(sc: Scenario) -> str:
    r, u = sc.response, sc.scenario.unit
    if r.policy == "none":
        return "The firm does not answer complaints (response.policy = 'none')."
    return (f"The firm listens: each complainer who told is detected with {pct(r.detect_prob)} {u.per} and answered "
            f"under response.policy = {r.policy!r} (delay {u.count(r.delay)}); an answer stops the complaint with "
            f"{pct(r.resolve_prob)}, turns a complaining buyer into a promoter with {pct(r.recovery_prob)}, and makes "
            f"each rejecting friend reconsider with {pct(r.repair_prob)}.")


GRAPHS = {"watts_strogatz": "Watts–Strogatz small-world", "erdos_renyi": "Erdős–Rényi random",
          "barabasi_albert": "Barabási–Albert scale-free", "powerlaw_cluster": "Holme–Kim clustered scale-free",
          "sbm": "community (stochastic block model)", "chung_lu": "Chung–Lu power-law", "complete": "complete-mixing",
          "edgelist": "given (edge list)"}

NEUTRAL = [  # (key, label with {s2}/{s3}/{s1} for the stage names of each funnel; {one}/{many}/{per}: the step)
    ("sensed", "(a) agents sensed by the brand, by the end"),
    ("sensed_share", "(a) share of aware agents the brand sensed"),
    ("adv2_not_sensed", "(a) stage 2 ({s2}): advance {per}, not sensed"),
    ("adv2_sensed", "(a) stage 2 ({s2}): advance {per}, sensed"),
    ("lift2", "(a) stage 2 ({s2}): lift from the brand's engagement"),
    ("adv3_not_sensed", "(a) stage 3 ({s3}): advance {per}, not sensed"),
    ("adv3_sensed", "(a) stage 3 ({s3}): advance {per}, sensed"),
    ("lift3", "(a) stage 3 ({s3}): lift from the brand's engagement"),
    ("adv3_no_message", "(b) stage 3 ({s3}), not sensed: advance {per} without a peer message"),
    ("adv3_message", "(b) stage 3 ({s3}), not sensed: advance {per} with a peer message"),
    ("message_effect3", "(b) stage 3 ({s3}), not sensed: effect of a peer message"),
    ("boosted_share3", "(b) advances out of stage 3 that peers' messages boosted"),
    ("lag_mean", "(c) {many} from purchase to first telling (mean)"),
    ("lag0_share", "(c) sharing buyers who told in the {one} they bought"),
    ("skips", "(d) jumps from stage 1 ({s1}) straight to Action (agents)"),
    ("skip_share", "(d) share of buyers who skipped"),
]


def _stage_names(recs: list[FunnelRecord], k: int) -> str:
    return " / ".join(stage_label(r.funnel.stages[k - 1], short=True) for r in recs)


def _rule_text(row: Row) -> str:
    if not math.isfinite(row.rule):
        return ""
    return tables.fmt_value(row.rule, row.unit)


def render(recs: list[FunnelRecord], stages: list[list[Row]], convs: list[list[Row]], diffs: list[list[Row]],
           paired: Row | None, *, command: str, notes: list[str], n_agents: int, n_arcs: int,
           directed: bool, kols: list[int], kol_degrees: list[int], snapshot_step: int, snapshot_note: str,
           figures: dict[str, str], formats: tuple[str, ...] = ("png",), kols_per_replicate: bool = False) -> str:
    """The handout as Markdown text."""
    sc = recs[0].scenario
    kinds = [r.kind for r in recs]
    K = [k.upper() for k in kinds]
    T, R, u = sc.scenario.steps, sc.scenario.replicates, sc.scenario.unit
    edges = n_arcs if directed else n_arcs // 2
    out: list[str] = []
    w = out.append
    title = "AISAS and SICAS side by side" if len(recs) > 1 else f"The {K[0]} funnel"
    w(f"# {title}: a word-of-mouth lesson\n")
    w(f"Made with `{command}`. Every number below comes from this run: {n_agents:,} agents on a "
      f"{GRAPHS.get(sc.graph.kind, sc.graph.kind.replace('_', ' '))} network "
      f"({edges:,} {'follow links' if directed else 'friendships'}), "
      f"{u.count(T)}, {R} replicate{'' if R == 1 else 's'} (independent runs of the same scenario), "
      f"seed {sc.scenario.seed}. Numbers are means over the replicates with a 95% interval in brackets; rates pool "
      "all replicates.\n")
    if R < MIN_REPLICATES:
        w(f"> No number below has an interval: a 95% interval needs at least {MIN_REPLICATES} replicates, and this "
          f"lesson has {R}, so each number is the mean alone. Set --replicates (scenario.replicates) to "
          f"{MIN_REPLICATES} or more.\n")
    if len(recs) > 1:
        w("Both funnels run on the **same network, with the same seed and the same KOLs**, so every difference "
          "below comes from the funnel's rules, not from luck of the draw.\n")
    for note in notes:
        w(f"> {note}\n")
    w(f"**Start.** {_kols_line(sc, kols, kol_degrees, kols_per_replicate)}\n")
    crisis = sc.seeding.complainer_count
    if crisis:
        w(f"**A crisis.** {crisis} initial complainers start as unhappy customers who tell their bad experience.\n")
    w(f"**Bad news.** {_response_line(sc)}\n")

    # ---- stages and rules
    w("## 1. The stages and the rule behind each\n")
    if u.one == "step":
        w("A step is one round of the simulation (think: a day; scenario.step_label can name it). In each step every "
          "agent reads the messages of the previous step, may move one stage on, and sharers tell (docs/model.md "
          "sections 3 and 4).\n")
    else:
        w(f"A step is one {u.one}: one round of the simulation. In each {u.one} every agent reads the messages of the "
          f"previous {u.one}, may move one stage on, and sharers tell (docs/model.md sections 3 and 4).\n")
    rules = [stage_rules(r.scenario, r.funnel) for r in recs]
    if len(recs) == 1:
        w("| stage | what it means | the rule in the model |\n|---|---|---|")
        for st, meaning, rule in rules[0]:
            w(f"| **{st}** | {meaning} | {rule} |")
    else:
        w(f"| | {K[0]} | {K[1]} |\n|---|---|---|")
        labels = (["before"] + [f"stage {k}" for k in range(1, recs[0].funnel.n_pre + 1)]
                  + ["buy", "tell", "leak", "end"])
        for lab, ra, rs in zip(labels, rules[0], rules[1]):
            other = f"same as {K[0]}" if ra == rs else f"**{rs[0]}**: {rs[1]} {rs[2]}"
            w(f"| {lab} | **{ra[0]}**: {ra[1]} {ra[2]} | {other} |")
    w("")
    if "sicas" in kinds:
        w("**What SICAS changes** (docs/model.md section 3): (a) the brand senses consumers and engages them, lifting "
          "Interest & Interactive and Connect & Communicate; (b) Connect & Communicate replaces Search, and friends' "
          "messages act on it (and on Sense); (c) sharing is real time; (d) the funnel is not a line: a few agents "
          "jump from Sense straight to Action.\n")

    # ---- where everyone ended
    w(f"## 2. Where the agents are after {u.count(T)}\n")
    if len(recs) == 1:
        w("| stage | agents |\n|---|---|")
        for row in stages[0]:
            w(f"| {row.label} | {row.text()} |")
    else:
        w(f"| stage | {K[0]} | {K[1]} |\n|---|---|---|")
        codes = recs[0].funnel.code_names()
        for i, _code in enumerate(codes):
            a, s = stages[0][i], stages[1][i]
            lab = a.label if a.label == s.label else f"{a.label} / {s.label}"
            w(f"| {lab} | {a.text()} | {s.text()} |")
        for key in ("adopters", "aware"):
            a, s = get(stages[0], key), get(stages[1], key)
            w(f"| {a.label} | {a.text()} | {s.text()} |")
    if paired is not None:
        w(f"\n{paired.label}: **{paired.text()}** agents.")
    w("")

    # ---- funnel figure and conversions
    w("## 3. The funnel over time, and who went on\n")
    w(f"![The funnel]({figures['funnel']})\n")
    first, second = ("Top", "Bottom") if len(recs) > 1 else ("Left", "Right")
    w(f"**{first}:** how many agents sit in each stage at every {u.one}, stacked (mean over replicates). Grey is "
      "unaware; the blues are the stages before buying, from light to dark; greens are buyers; orange is "
      f"rejection. **{second}:** of the agents who reached a stage, the share who reached the next one by the "
      "end (KOLs and other seeds are not counted). Error bars are 95% intervals.\n")
    if len(recs) == 1:
        w("| from → to | converted |\n|---|---|")
        for row in convs[0]:
            w(f"| {row.label} | {row.text()} |")
    else:
        w(f"| from → to ({K[0]} / {K[1]}) | {K[0]} | {K[1]} |\n|---|---|---|")
        for a, s in zip(convs[0], convs[1]):
            lab = a.label if a.label == s.label else f"{a.label} / {s.label}"
            w(f"| {lab} | {a.text()} | {s.text()} |")
    w("")
    for rec, rows in zip(recs, convs):
        finite = [r for r in rows[1:] if math.isfinite(r.mean)]
        if finite:
            worst = min(finite, key=lambda r: r.mean)
            w(f"- {rec.kind.upper()}: the biggest leak after awareness is **{worst.label}** ({worst.text()}).")
    w("")

    # ---- differences
    if "differences" not in figures:  # an AISAS lesson: no SICAS difference is at work, nothing to measure
        w("## 4. What SICAS would change\n")
        w("This lesson runs AISAS alone, so none of the four SICAS differences is at work here: the brand sensing "
          "consumers, peers' messages acting on Connect & Communicate, real-time sharing, and the jump from Sense "
          "straight to Action. `wom-sim teach compare` runs SICAS beside AISAS on the same network, seed and KOLs, "
          "and measures each of them.\n")
    else:
        w("## 4. The four SICAS differences, as numbers\n")
        w(f"![What SICAS changes]({figures['differences']})\n")
        w(f"Advance probabilities are measured per agent and {u.one}: of the agents at a stage at the start of a "
          f"{u.one}, the share that moved on in that {u.one}. The **rule** column is what the model's rule gives for "
          f"the same agents and {u.many}, so "
          "you can check that the simulation does what the rules say.\n")
        head = " | ".join(f"{k} | rule" for k in K)
        w(f"| measure | {head} |\n|---|" + "---|---|" * len(recs))
        bykey = [{r.key: r for r in d} for d in diffs]
        for key, label in NEUTRAL:
            lab = label.format(s1=_stage_names(recs, 1), s2=_stage_names(recs, 2), s3=_stage_names(recs, 3),
                               one=u.one, many=u.many, per=u.per)
            cells = " | ".join(f"{b[key].text()} | {_rule_text(b[key])}" for b in bykey)
            w(f"| {lab} | {cells} |")
        w("")
        w(_difference_story(recs, bykey))

    # ---- network
    w("## 5. The network at one moment\n")
    if figures.get("network"):
        w(f"![The network]({figures['network']})\n")
        w(f"Each dot is an agent, each line a friendship. Colours are stages (legend below); triangles are "
          f"agents still telling (green: good news, red: bad news); stars are the KOLs. Replicate 0 is shown, at "
          f"{u.one} {snapshot_step} (left; {snapshot_note}) and at the end, {u.one} {T} (right). "
          "Watch the news spread along the friendships out from the stars.\n")
    else:
        w(f"{snapshot_note}\n")

    # ---- questions
    w("## 6. Questions for the class\n")
    w("1. Which stage loses the most consumers in each funnel, and which rule in section 1 explains it?")
    if "sicas" in kinds:
        w("2. Difference (a): run again with `--set funnel.brand_engagement=0` (the brand still senses consumers "
          "but no longer engages them). How many fewer adopters does SICAS get?")
        w(f"3. Difference (c): why does telling in the same {u.one} speed up the spread, even if each buyer tells "
          "the same number of friends?")
    else:
        w("2. Search ignores friends' messages in this model. Is that realistic for the product you have in mind?")
        w("3. Run `wom-sim teach compare` to see what the SICAS funnel changes on the same network.")
    w("4. Look at the red triangles in the network: where does bad news come from, and how far does it travel?\n")

    w("## Files\n")
    exts = " and ".join(f.upper() for f in formats) or "PNG"
    shown = ", ".join(f"`{k}`" for k in ("funnel", "differences", "network") if k in figures)
    w(f"- {shown}: the figures ({exts}).")
    w(f"- `stages.csv` (agents per stage at every {u.one}), `conversion.csv`, `differences.csv`: every number above, "
      "with its 95% interval.")
    w("- `lesson.json`: the resolved scenario(s), seed, KOLs and versions, to reproduce the run. "
      "`wom-sim run` on the same scenario and seed gives the same stage counts.\n")
    return "\n".join(out)


def _difference_story(recs: list[FunnelRecord], bykey: list[dict[str, Row]]) -> str:
    """The differences in sentences, with this run's numbers."""
    kinds = [r.kind for r in recs]
    lines = []
    for rec, b in zip(recs, bykey):
        K = rec.kind.upper()
        u = rec.scenario.scenario.unit
        st = [stage_label(s) for s in rec.funnel.stages]
        if rec.kind == "sicas":
            lines.append(f"- **(a) Brand sensing ({K}).** By the end the brand had sensed {b['sensed'].text()} agents "
                         f"({b['sensed_share'].text()} of the aware). Sensed agents moved on from {st[1]} with "
                         f"{b['adv2_sensed'].text()} {u.per} against {b['adv2_not_sensed'].text()} for the others "
                         f"(a lift of {b['lift2'].text()}).")
            lines.append(f"- **(b) Connect & communicate ({K}).** At {st[2]}, among agents the brand had not "
                         f"sensed (so that only the message differs), a peer's message that {u.one} gave "
                         f"{b['adv3_message'].text()} against {b['adv3_no_message'].text()} without "
                         f"({b['message_effect3'].text()}); {b['boosted_share3'].text()} of the advances out of "
                         f"{st[2]} had a message boost.")
            lines.append(f"- **(c) Real-time sharing ({K}).** Buyers who shared first told "
                         f"{b['lag_mean'].text()} {u.many} after buying: {b['lag0_share'].text()} told in the same "
                         f"{u.one}.")
            lines.append(f"- **(d) The skip ({K}).** {b['skips'].text()} agents jumped from {st[0]} straight to "
                         f"Action, {b['skip_share'].text()} of the buyers.")
        else:
            lines.append(f"- **{K}** has none of these: nobody is sensed ({b['sensed'].text()}), a message at "
                         f"{st[2]} changes nothing ({b['adv3_message'].text()} with one, "
                         f"{b['adv3_no_message'].text()} without: {b['message_effect3'].text()}), buyers first tell "
                         f"{b['lag_mean'].text()} {u.one} after buying, and {b['skips'].text()} agents skip.")
    if "sicas" in kinds and "aisas" not in kinds:
        lines.append("- Run `wom-sim teach compare` to see the same network under AISAS.")
    return "\n".join(lines) + "\n"
