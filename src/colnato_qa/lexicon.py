"""The English word lists colnato-qa reads questions and sentences with, in one place.

General English only, never a word of one article. Each list is what one part of the pipeline
needs, so some overlap (the stop words of matching are not the function words of follow-up reading):

* ``STOPWORDS``: ignored when matching question words against the article (``text.content_terms``,
  novelty, metadata, the engine's typo repair).
* ``FUNCTION_WORDS``: words that carry no subject of their own (follow-up reading, mentions).
* ``FILLERS``: spoken and chat fillers (metadata questions).
* ``PREPOSITIONS``: a pronoun right after one of these is its object (follow-up reading).
* ``DEMONSTRATIVES``: this, that, these, those (follow-up reading).
* ``QUESTION_PREPOSITIONS``: a preposition that opens or ends a question (the short answer).
* ``KIND_LABELS`` / ``SPAN_KIND_LABELS``: the annotator's (spaCy's) entity labels that answer each kind
  of question (``question.type_match``; the short answer, keyed by its own kinds).
"""

from __future__ import annotations

# Function words: ignored when matching question words against the article. English only,
# no words of the article's topic in here.
STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
down during each either else ever every few for from further get gets got had hadn't has hasn't have
haven't having he he'd he'll he's her here here's hers herself him himself his how how's however i i'd
i'll i'm i've if in into is isn't it it's its itself just let's like many may me might more most much
must mustn't my myself no nor not now of off on once only or other ought our ours ourselves out over own
per please same shall shan't she she'd she'll she's should shouldn't so some such tell than that that's
the their theirs them themselves then there there's these they they'd they'll they're they've this
those through to too under until up upon us very was wasn't we we'd we'll we're we've were weren't what
what's when when's where where's whether which while who who's whom whose why why's will with won't
would wouldn't yes yet you you'd you'll you're you've your yours yourself yourselves
article text story piece says say said according mention mentioned mentions explain describe
""".split())

# Spoken and chat fillers ("hey so who wrote the uh article"): no meaning of their own in a question.
FILLERS = frozenset("""
hey hi hello yo uh uhh um umm erm er hmm hm ah oh ok okay so well like pls plz please thanks thx
""".split())

# Words that carry no subject of their own: wh-words, auxiliaries, pronouns, light verbs.
FUNCTION_WORDS = frozenset("""
a an the and or but so also plus ok okay about anything else any what which who whom whose when where why how
is are was were be been being do does did done has have had can could will would should shall may might must
of in on at to for from with by as into onto over under than then there here it its this that these those they
them their he him his she her i me my we us our you your not no yes just really actually more less much many
one ones some such like get got gets say says said tell told mean means come comes came go goes went happen
happened happens thing things stuff way ways lot kind sort part
""".split())

# A pronoun right after one of these is its object: it cannot be the clause's own subject.
PREPOSITIONS = frozenset("""about above across after against along among around at before behind below beneath beside
between beyond by despite during for from in inside into like near of off on onto out outside over past since through
throughout to toward towards under until upon with within without""".split())

DEMONSTRATIVES = {"this", "that", "these", "those"}

# Words that set two things in relation ("signed before the partnership?", "against the US?", "under Uribe?"):
# a sentence that does not say the relation does not say Yes to it.
RELATIONS = frozenset("""after against before besides beyond earlier except fewer instead later least less more most
over prior since than under until""".split())

# A sentence that reports a view ("seen by some as ...", "critics argue") or hedges ("potentially") does not
# affirm what it reports.
REPORTED_OR_HEDGED = frozenset("""alleged allegedly argue argued argues arguably believe believed believes claim
claimed claims could critics feared fears may might perceived perhaps possibly potentially reportedly rumored seen
some suggest suggested suggests supposedly viewed""".split())

# Words that deny or hold back the predicate without a "not" ("reluctant to join", "failed to", "rejected").
HELD_BACK = frozenset("""abandoned avoided blocked ceased declined denied failed fails halted hesitant lacked lacking
opposed prevented refused rejected reluctant reluctantly resisted unable unwilling""".split())

# Auxiliaries that open an inverted question ("did that lead to ...?", "is it ...?"), with their negations.
AUXILIARIES = tuple("""is are was were am do does did has have had can could will would should shall may might must
isn't aren't wasn't weren't don't doesn't didn't hasn't haven't can't won't""".split())

# Nouns for a text ("the article", "this piece", "op-ed"); with "this", "thing" too ("who wrote this nato
# thing"): what is in front of the reader.
TEXT_NOUNS = ("article", "piece", "story", "text", "report", "essay", "post", "op-ed", "oped", "editorial")
THIS_TEXT_NOUNS = frozenset(TEXT_NOUNS + ("thing", "stuff"))

# A preposition that opens the question before its question word, or ends it ("... come with what?").
QUESTION_PREPOSITIONS = (
    "about", "across", "after", "against", "among", "around", "at", "before", "behind", "between", "by",
    "despite", "during", "for", "from", "in", "inside", "into", "like", "near", "of", "on", "onto", "over",
    "since", "through", "to", "toward", "towards", "under", "until", "upon", "with", "within", "without",
)

# Entity labels (spaCy's) that answer each kind of question (question.py's kinds).
KIND_LABELS = {
    "year": {"DATE", "TIME"},
    "number": {"CARDINAL", "MONEY", "QUANTITY", "PERCENT"},
    "person": {"PERSON"},
    "place": {"GPE", "LOC", "FAC"},
    "name": {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "LAW", "WORK_OF_ART"},
}

# Entity labels (spaCy's) of each kind of answer (components/short_answer.py's kinds).
SPAN_KIND_LABELS: dict[str, frozenset[str]] = {
    "date": frozenset({"DATE", "TIME"}),
    "number": frozenset({"CARDINAL", "MONEY", "QUANTITY", "PERCENT", "ORDINAL"}),
    "person": frozenset({"PERSON"}),
    "place": frozenset({"GPE", "LOC", "FAC"}),
}
