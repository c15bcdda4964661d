# ruff: noqa: E501  (HTML reads better unwrapped)
"""The reader's Jinja2 templates and its one stylesheet (inline: the pages work offline and
from any folder).

Kept in a module rather than as files so they ship with the package without package data.
Autoescaping is on for every template: titles, summaries, dialogue and names are model text.
Links go through the ``href`` filter, which makes a path from the assets folder relative to
the page being written (and percent-encodes it), so a copied folder still works.
"""

from __future__ import annotations

CSS = """
:root {
  --paper: #f6f2ea; --card: #fffdf8; --ink: #1f2328; --muted: #5d6470; --line: #ddd5c7;
  --accent: #b8412c; --accent-ink: #fff; --navy: #23395b; --code: #f0ebe1;
  --shadow: 0 1px 2px rgba(31, 35, 40, .08), 0 8px 24px rgba(31, 35, 40, .10);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --paper: #16181c; --card: #1e2127; --ink: #e8e6e1; --muted: #a3a9b3; --line: #343943;
    --accent: #e0765f; --accent-ink: #16181c; --navy: #9db7e0; --code: #262a31;
    --shadow: 0 1px 2px rgba(0, 0, 0, .4), 0 8px 24px rgba(0, 0, 0, .35);
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--paper); color: var(--ink);
  font: 17px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
}
a { color: var(--accent); text-underline-offset: 2px; }
a:hover { text-decoration-thickness: 2px; }
.wrap { max-width: 1040px; margin: 0 auto; padding: 0 20px; }
.bar { border-bottom: 1px solid var(--line); background: var(--card); }
.bar .wrap { display: flex; gap: 18px; align-items: center; min-height: 52px;
  flex-wrap: wrap; font-size: 15px; }
.bar .brand { font-weight: 800; letter-spacing: .04em; text-transform: uppercase;
  color: var(--ink); text-decoration: none; }
.bar .spacer { flex: 1; }
.hero { padding: 40px 0 12px; }
.kicker { margin: 0; color: var(--accent); font-weight: 700; font-size: 14px;
  letter-spacing: .08em; text-transform: uppercase; }
h1 { font-size: clamp(30px, 5vw, 46px); line-height: 1.1; margin: 6px 0 12px;
  letter-spacing: -.01em; overflow-wrap: anywhere; }
h2 { font-size: 24px; margin: 48px 0 16px; padding-bottom: 6px;
  border-bottom: 3px solid var(--ink); }
h3 { font-size: 18px; margin: 0 0 6px; overflow-wrap: anywhere; }
.summary { font-size: 20px; max-width: 46em; margin: 0 0 16px; overflow-wrap: anywhere; }
.meta { color: var(--muted); font-size: 14px; margin: 4px 0; }
.actions { display: flex; flex-wrap: wrap; gap: 10px; margin: 18px 0 0; }
.button { display: inline-block; padding: 8px 16px; border-radius: 999px;
  border: 2px solid var(--ink); color: var(--ink); text-decoration: none; font-weight: 600;
  font-size: 15px; background: var(--card); }
.button.primary { background: var(--accent); border-color: var(--accent);
  color: var(--accent-ink); }
.pages { display: flex; flex-direction: column; align-items: center; gap: 28px;
  margin: 24px 0; }
.page { margin: 0; width: 100%; max-width: 760px; }
.page img { display: block; width: 100%; height: auto; background: #fff;
  border-radius: 4px; box-shadow: var(--shadow); }
.page figcaption { display: flex; justify-content: space-between; gap: 12px;
  color: var(--muted); font-size: 14px; padding: 8px 2px 0; }
.cards { display: grid; gap: 18px; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 14px; box-shadow: var(--shadow); overflow-wrap: anywhere; }
.card img { display: block; width: 100%; height: auto; border-radius: 6px; background: #fff;
  margin-bottom: 10px; }
.card p { margin: 4px 0; font-size: 15px; }
.nosheet { display: grid; place-items: center; aspect-ratio: 2 / 3; margin-bottom: 10px;
  border: 2px dashed var(--line); border-radius: 6px; color: var(--muted); font-size: 14px; }
.role { color: var(--accent); font-size: 13px !important; font-weight: 700;
  text-transform: uppercase; letter-spacing: .06em; }
.episodes { display: grid; gap: 20px; }
.episode-card { display: grid; grid-template-columns: 180px 1fr; gap: 20px; align-items: start;
  background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px;
  color: inherit; text-decoration: none; box-shadow: var(--shadow); }
.episode-card:hover { border-color: var(--accent); }
.episode-card img { width: 100%; height: auto; border-radius: 4px; background: #fff;
  border: 1px solid var(--line); }
.episode-card h3 { font-size: 22px; }
.episode-card p { margin: 4px 0; overflow-wrap: anywhere; }
@media (max-width: 560px) {
  .episode-card { grid-template-columns: 1fr; }
  .episode-card img { max-width: 220px; }
}
details.script { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 4px 18px; }
details.script summary { cursor: pointer; font-weight: 600; padding: 10px 0; }
.scene h3 { margin-top: 18px; color: var(--navy); }
.panel-text { border-left: 3px solid var(--line); padding: 2px 0 2px 14px; margin: 12px 0; }
.panel-text p { margin: 3px 0; overflow-wrap: anywhere; }
.panel-text .action { color: var(--muted); font-style: italic; }
.panel-text .caption { font-weight: 600; }
.line .who { font-weight: 700; }
.line.thought .words { font-style: italic; }
.line.whisper .words { color: var(--muted); }
.line.shout .words { font-weight: 800; }
.columns { display: grid; gap: 24px; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); }
.box { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 16px 18px; }
.box h3 { margin-bottom: 10px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 14px; margin: 0; }
dt { font-weight: 600; color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; margin: 8px 0 0; }
table { border-collapse: collapse; width: 100%; font-size: 14px; background: var(--card); }
th, td { text-align: left; vertical-align: top; padding: 7px 10px;
  border-bottom: 1px solid var(--line); }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
code, .hash { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 12.5px; }
.hash { word-break: break-all; background: var(--code); padding: 1px 4px; border-radius: 4px; }
.tag { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 12px;
  font-weight: 700; background: var(--code); }
.tag.executed, .tag.done { background: #2e7d4f; color: #fff; }
.tag.open, .tag.running, .tag.paused { background: #f2c12e; color: #1f2328; }
.tag.defeated, .tag.expired, .tag.canceled, .tag.failed { background: #b23a48; color: #fff; }
ul.findings { margin: 0; padding-left: 20px; }
ul.findings li { overflow-wrap: anywhere; }
.pager { display: flex; justify-content: space-between; gap: 12px; margin: 40px 0 0; }
footer { margin: 56px 0 0; padding: 20px 0 40px; border-top: 1px solid var(--line);
  color: var(--muted); font-size: 14px; }
@media print {
  .bar, .actions, .pager, footer, #provenance, details.script { display: none; }
  body { background: #fff; }
  .page { break-inside: avoid; }
  .page img { box-shadow: none; }
}
"""

BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Atelier">
<title>{% block title %}{% endblock %}</title>
<style>{{ css }}</style>
</head>
<body>
<header class="bar"><div class="wrap">
  <a class="brand" href="{{ index_page | href }}">Atelier</a>
  <a href="{{ index_page | href }}" dir="auto">{{ run.series_title }}</a>
  <span class="spacer"></span>
  {% block nav %}{% endblock %}
</div></header>
<main class="wrap">
{% block main %}{% endblock %}
</main>
<footer><div class="wrap">
  Made by an Atelier studio: AI agents wrote, designed and laid out these pages under prompts
  and goals its members approved on-chain. Every file linked here is recorded in the studio's
  store with its sha256; <code>atelier assets export {{ run.run_id }} DIR</code> copies this
  folder and checks each file against it.
</div></footer>
</body>
</html>
"""

MACROS = """
{% macro hash(value) -%}
<code class="hash">{{ value }}</code>
{%- endmacro %}

{% macro tag(status) -%}
<span class="tag {{ status }}">{{ status }}</span>
{%- endmacro %}

{% macro proposals(numbers) -%}
{% for n in numbers %}{% if not loop.first %}, {% endif %}proposal #{{ n }}{% endfor %}
{%- endmacro %}

{% macro cast_cards(members, show_designed) -%}
<div class="cards">
{% for c in members %}
  <article class="card" id="character-{{ c.id }}">
    {% if c.sheet_png %}
    <a href="{{ (c.sheet_svg or c.sheet_png).path | href }}"><img src="{{ c.sheet_png.path | href }}"
       alt="Character sheet of {{ c.name }}" loading="lazy"></a>
    {% else %}
    <div class="nosheet">no sheet yet</div>
    {% endif %}
    <h3 dir="auto">{{ c.name }}</h3>
    <p class="role">{{ c.role }}</p>
    <p dir="auto">{{ c.look }}</p>
    <p class="meta" dir="auto">{{ c.personality }}</p>
    {% if c.sheet_png %}
    <p class="meta">sheet:
      {% if c.sheet_svg %}<a href="{{ c.sheet_svg.path | href }}">SVG</a> · {% endif %}
      <a href="{{ c.sheet_png.path | href }}">PNG</a>
      {% if show_designed and c.designed_in %} · designed in episode {{ c.designed_in }}{% endif %}
    </p>
    {% endif %}
  </article>
{% endfor %}
</div>
{%- endmacro %}

{% macro governance_box(gov) -%}
<div class="box">
  <h3>Governance</h3>
  <dl>
    <dt>Goal</dt>
    <dd><span dir="auto">#{{ gov.goal_id }} “{{ gov.goal_title }}”</span>{% if gov.goal_proposals %},
      approved by {{ proposals(gov.goal_proposals) }}{% endif %}</dd>
    {% if gov.goal_brief %}<dt>Brief</dt><dd dir="auto">{{ gov.goal_brief }}</dd>{% endif %}
    <dt>Audits in force</dt>
    <dd>{% if gov.audit_proposals %}{{ proposals(gov.audit_proposals) }} (executed){% else
      %}none: the founding prompts{% endif %}</dd>
  </dl>
</div>
{%- endmacro %}

{% macro audits_table(gov) -%}
{% if gov.audits %}
<p class="meta">As recorded when this page was written{% if run.episodes %}, after episode
  {{ run.episodes[-1].number }} was published{% endif %}.</p>
<div class="scroll"><table>
  <thead><tr><th>audit</th><th>after episode</th><th>proposal</th><th>status</th>
    <th>prompt rewrites</th><th>report hash</th></tr></thead>
  <tbody>
  {% for a in gov.audits %}
    <tr><td>{{ a.index }}{% if a.revision > 1 %} (revision {{ a.revision }}){% endif %}</td>
      <td>{{ a.after_episode }}</td>
      <td>{% if a.proposal_number is not none %}#{{ a.proposal_number }}{% else %}-{% endif %}</td>
      <td>{{ tag(a.status) }}</td>
      <td>{% for agent, h in a.proposed_prompts %}{{ agent }} {{ hash(h) }}<br>{% else %}none{% endfor %}</td>
      <td>{{ hash(a.report_hash) }}</td></tr>
  {% endfor %}
  </tbody>
</table></div>
{% else %}
<p class="meta">No audit checkpoint yet.</p>
{% endif %}
{%- endmacro %}
"""

EPISODE = """{% extends "base.html" %}
{% from "macros.html" import hash, tag, proposals, cast_cards, governance_box, audits_table with context %}
{% block title %}Episode {{ ep.number }}: {{ ep.title }} · {{ run.series_title }}{% endblock %}
{% block nav %}
  {% if ep.previous %}<a rel="prev" href="{{ ep.previous | href }}">← previous</a>{% endif %}
  <a href="{{ index_page | href }}">all episodes</a>
  {% if ep.next %}<a rel="next" href="{{ ep.next | href }}">next →</a>{% endif %}
{% endblock %}
{% block main %}
<section class="hero">
  <p class="kicker">Episode {{ ep.number }}</p>
  <h1 dir="auto">{{ ep.title }}</h1>
  <p class="summary" dir="auto">{{ ep.summary }}</p>
  <p class="meta">{{ ep.pages | length | plural("page") }}
    · {{ ep.cast | length | plural("character") }}
    · run {{ run.run_id }}</p>
  <p class="actions">
    {% if ep.pdf %}<a class="button primary" href="{{ ep.pdf.path | href }}">Download PDF · {{ ep.pdf.size_text }}</a>{% endif %}
    <a class="button" href="#cast">Cast</a>
    <a class="button" href="#script">Script</a>
    <a class="button" href="#provenance">How it was made</a>
    {% if ep.ballot %}<a class="button" href="{{ ep.ballot | href }}">Curation ballot</a>{% endif %}
  </p>
</section>

<section class="pages" aria-label="Pages">
{% for page in ep.pages %}
  <figure class="page" id="page-{{ loop.index0 }}">
    <a href="{{ (page.svg or page.png).path | href }}"><img src="{{ page.png.path | href }}"
       alt="{{ page.label }} of episode {{ ep.number }}: {{ ep.title }}" loading="lazy"></a>
    <figcaption><span>{{ page.label }}</span>
      <span>{% if page.svg %}<a href="{{ page.svg.path | href }}">SVG</a> · {% endif %}<a
        href="{{ page.png.path | href }}">PNG</a></span></figcaption>
  </figure>
{% else %}
  <p class="meta">This episode has no drawn pages.</p>
{% endfor %}
</section>

<h2 id="cast">Cast</h2>
{% if ep.cast %}{{ cast_cards(ep.cast, true) }}{% else %}<p class="meta">Nobody appears.</p>{% endif %}

<h2 id="script">Script</h2>
<details class="script">
  <summary>Read the episode as text ({{ ep.scenes | length | plural("scene") }})</summary>
  {% for scene in ep.scenes %}
  <div class="scene">
    <h3 dir="auto">{{ scene.setting }}</h3>
    {% for p in scene.panels %}
    <div class="panel-text">
      <p class="meta">Panel {{ p.number }} · {{ p.shot }}</p>
      <p class="action" dir="auto">{{ p.action }}</p>
      {% if p.caption %}<p class="caption" dir="auto">{{ p.caption }}</p>{% endif %}
      {% for line in p.lines %}
      <p class="line {{ line.style }}" dir="auto"><span class="who">{{ line.speaker }}</span>
        <span class="meta">{{ line.verb }}</span> <span class="words">{{ line.text }}</span></p>
      {% endfor %}
    </div>
    {% endfor %}
  </div>
  {% endfor %}
  {% if ep.script %}<p class="meta">The script as the scriptwriter wrote it:
    <a href="{{ ep.script.path | href }}">{{ ep.script.name }}</a>{% if ep.layout %},
    its layout: <a href="{{ ep.layout.path | href }}">{{ ep.layout.name }}</a>{% endif %}</p>{% endif %}
</details>

<h2 id="provenance">How it was made</h2>
<div class="columns">
  {{ governance_box(ep.governance) }}
  <div class="box">
    <h3>Prompt versions</h3>
    <p class="meta">The approved prompt each agent ran with (keccak256 of the prompt file).</p>
    <dl>
    {% for agent, h in ep.prompts %}<dt>{{ agent }}</dt><dd>{{ hash(h) }}</dd>{% endfor %}
    </dl>
  </div>
</div>

<h3 style="margin-top:28px">Audits of this run</h3>
{{ audits_table(ep.governance) }}

<h3 style="margin-top:28px">Models</h3>
<div class="scroll"><table>
  <thead><tr><th>agent</th><th>provider / model</th><th>parameters</th><th>seed</th>
    <th>calls</th><th>tokens</th><th>prompt</th></tr></thead>
  <tbody>
  {% for a in ep.agents %}
    <tr><td>{{ a.agent }}</td><td>{{ a.provider or "-" }} / {{ a.model or "-" }}{% if a.model_sha256 %}
      <br><code class="hash" title="sha256 of the model file: {{ a.model_sha256 }}">{{ a.model_sha256 | short }}</code>{% endif %}</td>
      <td>{{ a.params or "-" }}</td><td>{{ a.seed if a.seed is not none else "-" }}</td>
      <td>{{ a.calls }}{% if a.retries %} ({{ a.retries | plural("retry", "retries") }}){% endif %}</td>
      <td>{{ "{:,}".format(a.tokens) }}</td><td><code class="hash" title="{{ a.prompt_hash }}">{{ a.prompt_hash | short }}</code></td></tr>
  {% else %}
    <tr><td colspan="7">No model calls recorded.</td></tr>
  {% endfor %}
  </tbody>
</table></div>

<h3 style="margin-top:28px">Members' reviews</h3>
{% if ep.reviews %}
<div class="scroll"><table>
  <thead><tr><th>member</th><th>scriptwriter</th><th>designer</th><th>layout</th><th>comment</th></tr></thead>
  <tbody>
  {% for r in ep.reviews %}
    <tr><td>{{ hash(r.reviewer) }}</td><td>{{ r.scriptwriter }}</td><td>{{ r.designer }}</td>
      <td>{{ r.layout }}</td><td dir="auto">{{ r.comment }}</td></tr>
  {% endfor %}
  </tbody>
</table></div>
{% else %}
<p class="meta">No member has reviewed this episode yet: <code>atelier review {{ ep.number }} --as NAME ...</code></p>
{% endif %}
<h3 style="margin-top:28px">Review findings</h3>
{% if ep.findings %}
<ul class="findings">{% for f in ep.findings %}<li dir="auto">{{ f }}</li>{% endfor %}</ul>
{% else %}<p class="meta">None.</p>{% endif %}

<h3 style="margin-top:28px">Files</h3>
<p class="meta">Governed by {{ proposals(ep.proposal_ids) or "no proposal" }}; each file as
  the studio's store recorded it.</p>
<div class="scroll"><table>
  <thead><tr><th>file</th><th>kind</th><th>size</th><th>made by</th><th>sha256</th></tr></thead>
  <tbody>
  {% for f in ep.files %}
    <tr><td>{% if f.size is not none %}<a href="{{ f.path | href }}">{{ f.name }}</a>{% else
      %}{{ f.name }}{% endif %}</td><td>{{ f.kind }}</td><td>{{ f.size_text }}</td>
      <td>{{ f.agent or "-" }}</td><td>{{ hash(f.sha256) }}</td></tr>
  {% endfor %}
  </tbody>
</table></div>

<nav class="pager">
  <span>{% if ep.previous %}<a rel="prev" href="{{ ep.previous | href }}">← previous episode</a>{% endif %}</span>
  <a href="{{ index_page | href }}">all episodes</a>
  <span>{% if ep.next %}<a rel="next" href="{{ ep.next | href }}">next episode →</a>{% endif %}</span>
</nav>
{% endblock %}
"""

INDEX = """{% extends "base.html" %}
{% from "macros.html" import hash, tag, proposals, cast_cards, governance_box, audits_table with context %}
{% block title %}{{ run.series_title }} · run {{ run.run_id }}{% endblock %}
{% block nav %}<a href="#episodes">episodes</a> <a href="#cast">cast</a>
  <a href="#provenance">how it was made</a>{% endblock %}
{% block main %}
<section class="hero">
  <p class="kicker">A serialized comic{% if run.tone %} · {{ run.tone }}{% endif %}</p>
  <h1 dir="auto">{{ run.series_title }}</h1>
  {% if run.logline %}<p class="summary" dir="auto">{{ run.logline }}</p>{% endif %}
  <p class="meta">{{ run.episodes_done }} of {{ run.episodes_planned | plural("episode") }} published · run {{ run.run_id }}
    · goal #{{ run.governance.goal_id }}</p>
</section>

<h2 id="episodes">Episodes</h2>
<div class="episodes">
{% for ep in run.episodes %}
  <a class="episode-card" href="{{ ep.path | href }}">
    {% if ep.cover %}<img src="{{ ep.cover.path | href }}" alt="Title page of episode {{ ep.number }}" loading="lazy">{% else %}<div class="nosheet">no pages</div>{% endif %}
    <div>
      <p class="kicker">Episode {{ ep.number }}</p>
      <h3 dir="auto">{{ ep.title }}</h3>
      <p dir="auto">{{ ep.summary }}</p>
      <p class="meta">{{ ep.pages | length | plural("page") }}
        · {{ ep.findings | length | plural("review finding") }}</p>
    </div>
  </a>
{% else %}
  <p class="meta">No episode is finished yet.</p>
{% endfor %}
</div>

<h2 id="cast">Cast</h2>
{% if run.cast %}{{ cast_cards(run.cast, true) }}{% else %}<p class="meta">No series bible yet.</p>{% endif %}

{% if run.world or run.arc %}
<h2 id="world">The world</h2>
<div class="columns">
  {% if run.world %}<div class="box"><h3>Setting</h3><p dir="auto">{{ run.world }}</p></div>{% endif %}
  {% if run.arc %}<div class="box"><h3>Arc</h3><p dir="auto">{{ run.arc }}</p></div>{% endif %}
</div>
{% endif %}

<h2 id="provenance">How it was made</h2>
<div class="columns">
  {{ governance_box(run.governance) }}
  <div class="box">
    <h3>Series bible</h3>
    {% if run.bible %}<p><a href="{{ run.bible.path | href }}">{{ run.bible.name }}</a>
      by the {{ run.bible.agent or "scriptwriter" }}, prompt {{ hash(run.bible.prompt_hash or "-") }}</p>
    <p class="meta">sha256 {{ hash(run.bible.sha256) }}</p>
    {% else %}<p class="meta">not written yet</p>{% endif %}
  </div>
</div>

<h3 style="margin-top:28px">Audits</h3>
{{ audits_table(run.governance) }}

<h3 style="margin-top:28px">Episodes and the prompts they used</h3>
<div class="scroll"><table>
  <thead><tr><th>episode</th><th>prompt versions</th><th>governed by</th><th>reader page sha256</th></tr></thead>
  <tbody>
  {% for ep in run.episodes %}
    <tr><td><a href="{{ ep.path | href }}">{{ ep.number }}</a></td>
      <td>{% for agent, h in ep.prompts %}{{ agent }} {{ hash(h) }}<br>{% endfor %}</td>
      <td>{{ proposals(ep.proposal_ids) or "-" }}</td>
      <td>{{ hash(run.reader_hashes.get(ep.number, "-")) }}</td></tr>
  {% endfor %}
  </tbody>
</table></div>
{% endblock %}
"""

BALLOT = """{% extends "base.html" %}
{% from "macros.html" import hash, tag with context %}
{% block title %}Curation ballot {{ ballot.id }}: episode {{ ballot.episode }} · {{ run.series_title }}{% endblock %}
{% block nav %}<a href="{{ index_page | href }}">all episodes</a>{% endblock %}
{% block main %}
<section class="hero">
  <p class="kicker">Curation ballot {{ ballot.id }} · episode {{ ballot.episode }}</p>
  <h1>Which outline should the studio make?</h1>
  <p class="summary">The scriptwriter wrote {{ ballot.variants | length }} outlines of episode
    {{ ballot.episode }}. Members choose one with a signed, gasless vote weighed by their
    reputation at the ballot's snapshot; the winner becomes the episode.</p>
  <p class="meta">{{ tag(ballot.status) }} · closes at chain time {{ ballot.closes_at }}
    (or once every member has voted) · ballot key {{ hash(ballot.key) }}</p>
  {% if ballot.status == "open" %}
  <p class="meta">Vote: <code>atelier curate vote {{ ballot.id }} VARIANT --as NAME</code></p>
  {% endif %}
</section>
{% for v in variants %}
<section class="box" id="variant-{{ v.number }}">
  <h2 dir="auto">Variant {{ v.number }}: {{ v.title }}{% if ballot.winner is not none and ballot.winner + 1 == v.number %} ✓ chosen{% endif %}</h2>
  <p dir="auto">{{ v.summary }}</p>
  <ol>
  {% for scene in v.scenes %}
    <li><strong dir="auto">{{ scene.setting }}</strong> ({{ scene.characters | join(", ") }}):
      <span dir="auto">{{ scene.beat }}</span></li>
  {% endfor %}
  </ol>
  {% if ballot.status == "closed" %}<p class="meta">{{ v.weight }} reputation voted for it</p>{% endif %}
</section>
{% endfor %}
{% if ballot.tally_root %}<p class="meta">Tally root {{ hash(ballot.tally_root) }}: keccak256
  over the counted votes' EIP-712 digests in voter order; the next audit report carries it.</p>{% endif %}
{% endblock %}
"""

TEMPLATES = {"base.html": BASE, "macros.html": MACROS, "episode.html": EPISODE,
             "index.html": INDEX, "ballot.html": BALLOT}
