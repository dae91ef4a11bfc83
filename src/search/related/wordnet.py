#!/usr/bin/env python3
"""Writes src/search/related/en.txt: English words and the words WordNet 3.0 relates to them.

Run from the repository root with Debian's `wordnet-base` installed:
    apt-get install wordnet-base && python3 src/search/related/wordnet.py

Each line is `word<TAB>related related ...` (nothing after the tab for a word WordNet
relates to no other single word): for a word (or a phrasal verb, `get rid of`),
the other single words of its most frequent senses (WordNet lists senses by frequency in
its tagged corpus), and for verbs also the words of those senses' direct hypernyms (the
more general verb: relocate → move, delete → remove). Related words are single words
because the index is searched word by word. Every word of WordNet is a key: nothing here
is chosen by hand. The search reads the table at run time (`src/search/related.rs`).
"""

import os
import re
import sys

WORDNET = os.environ.get("WORDNET_DIR", "/usr/share/wordnet")
OUT = "src/search/related/en.txt"
COPYRIGHT = "/usr/share/doc/wordnet-base/copyright"
POS = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
# Senses read per word and part of speech, at most: those seen in WordNet's tagged corpus
# at least a quarter as often as the word's commonest sense (any part of speech), or the
# first sense of each part of speech when the corpus never saw the word.
SENSES = {"n": 2, "v": 3, "a": 2, "r": 1}
COMMON_SENSE = 0.25
SS_TYPE = {"1": "n", "2": "v", "3": "a", "4": "r", "5": "a"}
# Related words kept per word.
MAX_RELATED = 12
# The commonest English verbs, which WordNet makes the more general verb of very many
# others (`win` → `get`): as such they would match nearly anything. Synonyms they stay.
LIGHT = {"be", "do", "have", "get", "go", "make", "take", "give", "come", "put", "set", "let",
         "keep", "hold", "say", "tell"}
WORD = re.compile(r"^[a-z][a-z0-9-]*$")
PHRASE = re.compile(r"^[a-z]+( [a-z]+){1,2}$")


def synsets(pos, common):
    """offset → (words, hypernym offsets); adds to `common` the words written in lowercase
    in some synset (a word written only capitalised is a name: `Reid`, `Aaron`)."""
    found = {}
    with open(os.path.join(WORDNET, "data." + pos), encoding="latin-1") as data:
        for line in data:
            if line.startswith(" "):
                continue
            fields = line.split(" | ")[0].split()
            offset, count = fields[0], int(fields[3], 16)
            written = [re.sub(r"\(.*\)$", "", fields[4 + 2 * i]).replace("_", " ") for i in range(count)]
            common.update(w.lower() for w in written if not w[:1].isupper())
            words = [w.lower() for w in written]
            at = 4 + 2 * count
            pointers = int(fields[at])
            hypernyms = []
            for p in range(pointers):
                symbol, target, target_pos = fields[at + 1 + 4 * p : at + 4 + 4 * p]
                if symbol in ("@", "@i") and target_pos == "v":
                    hypernyms.append(target)
            found[offset] = (words, hypernyms)
    return found


def sense_counts():
    """(lemma, pos) → {sense number: times tagged}."""
    counts = {}
    with open(os.path.join(WORDNET, "cntlist.rev"), encoding="latin-1") as lines:
        for line in lines:
            key, number, count = line.split()
            lemma, rest = key.split("%")
            pos = SS_TYPE[rest[0]]
            senses = counts.setdefault((lemma.replace("_", " "), pos), {})
            senses[int(number)] = senses.get(int(number), 0) + int(count)
    return counts


def main():
    counts = sense_counts()
    top = {}
    for (lemma, _), senses in counts.items():
        top[lemma] = max(top.get(lemma, 0), max(senses.values()))
    related = {}
    common = set()
    sets_of = {name: synsets(name, common) for name in POS}
    names = set()
    for name, pos in POS.items():
        sets = sets_of[name]
        with open(os.path.join(WORDNET, "index." + name), encoding="latin-1") as index:
            for line in index:
                if line.startswith(" "):
                    continue
                fields = line.split()
                lemma = fields[0].replace("_", " ")
                pointers = int(fields[3])
                offsets = fields[6 + pointers :]
                single = WORD.match(lemma)
                if not single and not (pos == "v" and PHRASE.match(lemma)):
                    continue
                # A word WordNet writes only capitalised is a name (`Reid`, `Monday`): keyed
                # as written, so a query's `reids` is no English word but a slip of `redis`.
                if lemma not in common:
                    if single:
                        names.add(lemma[:1].upper() + lemma[1:])
                    continue
                seen = counts.get((lemma, pos), {})
                if top.get(lemma, 0) == 0:
                    read = offsets[:1]
                else:
                    least = max(1, top[lemma] * COMMON_SENSE)
                    read = [o for n, o in enumerate(offsets, 1) if seen.get(n, 0) >= least]
                    read = read[: SENSES[pos]]
                words = related.setdefault(lemma, [])
                for offset in read:
                    synonyms, hypernyms = sets[offset]
                    general = [w for h in hypernyms for w in sets[h][0] if w not in LIGHT]
                    for word in synonyms + general:
                        if word != lemma and WORD.match(word) and word not in words:
                            words.append(word)
    # Irregular forms (`hid`, `stopped`) relate as their base form does; regular ones are
    # found by the search's own suffix rules.
    for name in POS:
        with open(os.path.join(WORDNET, name + ".exc"), encoding="latin-1") as exceptions:
            for line in exceptions:
                form, *bases = line.split()
                form = form.replace("_", " ")
                if WORD.match(form):
                    own = related.get(form, [])
                    words = [w for b in bases for w in [b] + related.get(b, [])]
                    related[form] = [w for w in dict.fromkeys(own + words) if w != form]
    lines = [name + "\t" for name in sorted(names)]
    for lemma in sorted(related):
        # A word with no related words is kept too: the search asks whether a word is English.
        lines.append(lemma + "\t" + " ".join(related[lemma][:MAX_RELATED]))
    with open(OUT, "w", encoding="utf-8") as out:
        out.write("# Generated by src/search/related/wordnet.py from WordNet 3.0; do not edit.\n")
        out.write("# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.\n")
        out.write("# The WordNet 3.0 licence, which must go with every copy of this data:\n")
        out.write(licence())
        out.write("\n".join(lines) + "\n")
    print(f"{OUT}: {len(lines)} words", file=sys.stderr)


def licence():
    """WordNet's licence from Debian's copyright file, as comment lines."""
    text = open(COPYRIGHT, encoding="utf-8").read()
    start = text.index(" This software and database is being provided")
    end = text.index("Files: debian/*")
    lines = [line[1:] if line.startswith(" ") else line for line in text[start:end].rstrip().split("\n")]
    return "".join(("# " + ("" if line == "." else line)).rstrip() + "\n" for line in lines)


if __name__ == "__main__":
    main()
