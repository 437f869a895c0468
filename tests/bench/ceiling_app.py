"""The ceiling for `make bench`: a bare Flask app that renders a thread page from memory.

No database, no session, no extensions: the thread template below loops over the question and
its answers (kept in memory) the way the real thread page does, escaping every value, and a
padding comment brings each response to exactly the byte size of the real page, so gunicorn,
Flask and Jinja do the same kind of work for the same number of bytes. Whatever Hearth does on
top of that (queries, ORM objects, url_for, sessions) shows as the gap to this page.

CEILING_DATA names a JSON file written by tests/bench/load.py:
{"title", "category", "posts": [{"id", "author", "score", "created", "body_html", ...}],
 "size": bytes of the real page, "html": the real page itself}.

    /thread  the same-size thread template rendered from memory (the ceiling)
    /constant the real page's HTML as a template without variables (bytes out, nothing rendered)
    /hello   "Hello, World!"
"""

import json
import os

from flask import Flask, render_template
from jinja2 import DictLoader

THREAD_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{% if solved %}[Solved] {% endif %}{{ title }} · {{ site }}</title>
  <meta name="description" content="{{ description }}">
  <link rel="stylesheet" href="/static/css/hearth.css">
</head>
<body>
  <header class="site-header"><div class="wrap header-row"><a class="brand" href="/">{{ site }}</a>
    <form class="site-search" role="search" method="get" action="/search">
      <input id="site-search-q" type="search" name="q" placeholder="Search questions and answers" maxlength="300">
      <button class="button" type="submit">Search</button>
    </form>
    <nav class="user-nav" aria-label="Account"><a href="/leaderboard">Leaderboard</a> <a href="/login">Sign in</a></nav>
  </div></header>
  <main id="main" class="wrap" tabindex="-1">
  <nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/">Home</a> › <a href="/c/{{ category_slug }}">{{ category }}</a></nav>
  <header class="thread-head">
    <h1>{% if solved %}<span class="badge solved">✓ Solved</span>{% endif %} {{ title }}</h1>
    <p class="meta"><span>{{ answer_count }} {{ 'answer' if answer_count == 1 else 'answers' }}</span></p>
  </header>
  <section class="answers" aria-labelledby="answers-heading">
  <h2 id="answers-heading">{{ answer_count }} Answers</h2>
  {% for post in posts %}
  <article id="post-{{ post.id }}" class="post{% if post.is_question %} question{% endif %}{% if post.accepted %} accepted{% endif %}" aria-label="{{ 'Question' if post.is_question else 'Answer' }} by {{ post.author }}">
    <div class="vote-col"><span class="score" aria-label="Score {{ post.score }}">{{ post.score }}</span></div>
    <div class="post-body">
      {% if post.accepted %}<p class="accepted-mark"><span class="badge solved">✓ Accepted by the asker</span></p>{% endif %}
      <div class="content">{{ post.body_html|safe }}</div>
      <footer class="post-meta">
        <span class="byline">{{ 'asked' if post.is_question else 'answered' }} by
          <a class="author" href="/u/{{ post.author }}">{{ post.author }}</a>
          <span class="rank" title="{{ post.reputation }} reputation">{{ post.reputation }}</span>
          <time datetime="{{ post.created }}">{{ post.created }}</time></span>
        <span class="post-actions"><a href="/p/{{ post.id }}">Link</a> <a href="/p/{{ post.id }}/revisions">History</a></span>
      </footer>
    </div>
  </article>
  {% endfor %}
  </section>
  </main>
  <footer class="site-footer"><div class="wrap"><p>{{ site }}</p></div></footer>
</body>
</html>
<!--{{ padding }}-->
"""


def _load() -> dict:
    path = os.environ.get("CEILING_DATA")
    if not path:
        raise RuntimeError("CEILING_DATA must name the JSON file written by tests/bench/load.py")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


DATA = _load()
app = Flask(__name__)
# The real page as a template with nothing to substitute ({% raw %} keeps any braces literal).
app.jinja_env.loader = DictLoader(
    {"thread.html": THREAD_TEMPLATE, "static.html": "{% raw %}" + DATA["html"] + "{% endraw %}"}
)
CONTEXT = {
    "site": "Hearth",
    "title": DATA["title"],
    "description": DATA["description"],
    "category": DATA["category"],
    "category_slug": DATA["category_slug"],
    "answer_count": DATA["answer_count"],
    "solved": DATA["solved"],
    "posts": DATA["posts"],
    "padding": "",
}


def _size() -> int:
    with app.test_request_context():
        return len(render_template("thread.html", **CONTEXT).encode())


# Pad to the real page's size; the comment costs one more substitution, like any other value.
CONTEXT["padding"] = "x" * max(0, DATA["size"] - _size())


@app.route("/thread")
def thread():
    return render_template("thread.html", **CONTEXT)


@app.route("/constant")
def constant_page():
    return render_template("static.html")


@app.route("/hello")
def hello():
    return "Hello, World!"
