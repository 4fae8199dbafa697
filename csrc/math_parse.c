/*
 * math_parse.c - lexer and parser of answers (LaTeX or plain math) into an expression tree.
 *
 * The lexer does all normalisation in one linear pass (\left/\right, \displaystyle, spacing,
 * $, \text{} unwrapping, Unicode operators, thousands separators, ^\circ), so the parser sees
 * clean tokens. The parser is recursive descent with a depth bound; sums, products and lists are
 * n-ary so that long flat inputs never make deep trees. Words next to math are units and are
 * dropped; an answer of words only is a text answer.
 */
#include "math_internal.h"

#include <string.h>

typedef enum {
    T_END, T_NUM, T_VAR, T_WORD, T_FUNC, T_CONST, T_SEP,
    T_PLUS, T_MINUS, T_PM, T_MP, T_TIMES, T_DIVIDE, T_SLASH, T_POW, T_SUB, T_BANG, T_PERCENT,
    T_DEGREE, T_REL, T_APPROX, T_IN, T_COMMA, T_SEMI, T_COLON, T_DOT,
    T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_LBRACE, T_RBRACE, T_LSET, T_RSET, T_BAR,
    T_FRAC, T_SQRT, T_BEGIN, T_ENDENV, T_AMP, T_ROWSEP, T_CUP, T_CAP, T_SETMINUS, T_REALS,
    T_EMPTY, T_DOTS, T_LFLOOR, T_RFLOOR, T_LCEIL, T_RCEIL, T_BIGOP
} tok_kind;

typedef struct {
    uint8_t kind, op, flags;
    const char *s;
    uint32_t len;
} token;

enum { TF_FLOAT = 1, TF_REPEAT = 4 };

typedef struct {
    math_arena *a;
    const char *s;
    size_t len;
    token *t;
    int n, cap;
    int err;
    /* brace stack: 0 group, 1 text (braces dropped, letters are words), 2 font (dropped,
     * single letters stay variables) */
    uint8_t stack[MATH_MAX_DEPTH];
    int depth, text_depth, font_depth;
    int brackets; /* open ( [ \{ : inside them a bare comma separates elements */
} lexer;

static int lx_is_digit(int c) { return c >= '0' && c <= '9'; }
static int lx_is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int lx_is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '~'; }

static void emit(lexer *lx, int kind, int op, const char *s, size_t len, int flags) {
    if (lx->err) return;
    if (lx->n == lx->cap) {
        int cap = lx->cap ? lx->cap * 2 : 64;
        token *t = grpo_math_alloc(lx->a, sizeof(token) * (size_t)cap);
        if (!t) {
            lx->err = GRPO_MATH_TOO_LONG;
            return;
        }
        if (lx->n) memcpy(t, lx->t, sizeof(token) * (size_t)lx->n);
        lx->t = t;
        lx->cap = cap;
    }
    lx->t[lx->n++] = (token){(uint8_t)kind, (uint8_t)op, (uint8_t)flags, s, (uint32_t)len};
}

static int name_is(const char *s, size_t len, const char *name) {
    return strlen(name) == len && memcmp(s, name, len) == 0;
}

static int name_in(const char *s, size_t len, const char *const *names) {
    for (int i = 0; names[i]; i++)
        if (name_is(s, len, names[i])) return 1;
    return 0;
}

static const char *const FUNCS[] = {"sin", "cos", "tan", "sec", "csc", "cot", "sinh", "cosh",
    "tanh", "arcsin", "arccos", "arctan", "ln", "log", "exp", "lg", "sgn", "max", "min", "gcd",
    "lcm", "det", NULL};
static const char *const GREEK[] = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon",
    "zeta", "eta", "theta", "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "rho",
    "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta",
    "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega", "ell", NULL};
/* two-letter units that would otherwise read as a product of two variables */
static const char *const UNITS2[] = {"cm", "mm", "km", "kg", "mg", "ml", "mL", "ft", "hr", "yd",
    "oz", "lb", "in", "m2", "cc", "am", "pm", "AM", "PM", "sq", "mi", "Hz", "kW", "kJ", "kN",
    "GB", "MB", "KB", "st", "nd", "rd", "th", "is", "of", "to", "by", "it", "no", "on", "at",
    "as", "be", "we", "so", "if", "an", NULL};
/* Words that change what a number means ("not 5", "at least 5", "5 or more"): an answer with
 * one of them is not the bare number, so it does not parse as math. */
static const char *const QUALIFIERS[] = {"not", "no", "least", "most", "more", "less", "than",
    "fewer", "greater", "smaller", "larger", "higher", "lower", "above", "below", "under", "over",
    "except", "nor", "neither", "either", "maybe", "possibly", "perhaps", "between", "almost",
    "nearly", "exceeds", "exceed", "up", "Not", "No", "At", NULL};
static const char *const LEADING_FILLER[] = {"the", "The", "answer", "Answer", "is", "final",
    "Final", "total", "Total", "value", "of", "a", "an", "exactly", "Exactly", "only", "just",
    "so", "So", "thus", "Thus", "therefore", "Therefore", "hence", "Hence", "we", "get", "have",
    "equals", "approximately", "Approximately", "about", "around", "roughly", "which", "it",
    "precisely", "Precisely", "equal", "to", "cm", "mm", "km", "kg", "in", "ft", "USD", "Rs",
    "dollars", NULL};
static const char *const LABEL_ENDS[] = {"is", "are", "equals", "was", "be", NULL};
static const char *const DENIALS[] = {"never", "impossible", "cannot", "wrong", "incorrect",
    "false", "unlikely", "isn", "aren", "doesn", "doubt", "Doubt", "unsure", "Not", "never",
    "Never", "Impossible", "Wrong", "False", "t", "won", "don", "didn", "couldn", "wouldn",
    "shouldn", "mustn", "wasn", "weren", "NOT", NULL};

/* A label before a value ("\text{Area} =", "the maximum value is") is a short phrase that
 * does not deny it. */
static int plain_label(const token *t, int from, int to) {
    if (to - from > 5) return 0;
    for (int i = from; i < to; i++)
        if (name_in(t[i].s, t[i].len, QUALIFIERS) || name_in(t[i].s, t[i].len, DENIALS)) return 0;
    return 1;
}
static const char *const IGNORED[] = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl",
    "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr", "displaystyle", "textstyle",
    "scriptstyle", "limits", "nolimits", "middle", "mleft", "mright", "quad", "qquad", "hfill",
    "boxed", "fbox", "overline", "underline", "widetilde",
    "prime", "lbrace", "rbrace", "mathstrut", "strut",
    "nobreak", "allowbreak", "noindent", "centering", "therefore", "because", "implies",
    "ensuremath", "num", "SI", "mathord", "mathop", "mathbin", "mathrel", "mathpunct",
    "smash", "phantom", "hphantom", "vphantom", "relax", "ds", "tiny", "small",
    "large", "Large", "huge", "normalsize", "bf", "rm", "it", "cal", NULL};
static const char *const DECORATIONS[] = {"hat", "vec", "bar", "widehat", "tilde", "dot",
    "ddot", "check", "breve", "acute", "grave", NULL};
static const char *const TEXTS[] = {"text", "textbf", "textit", "textrm", "textnormal", "mbox",
    "hbox", "textsf", "texttt", "emph", "operatorname", "textup", "textsc", "si", "unit", NULL};
static const char *const FONTS[] = {"mathrm", "mathbf", "mathit", "mathsf", "boldsymbol", "bm",
    "mathcal", "mathtt", "mathnormal", "mathscr", "mathfrak", "pmb", NULL};

/* Splits a run of ASCII letters outside text into tokens. */
static void lex_letters(lexer *lx, const char *s, size_t len) {
    int in_text = lx->text_depth > 0, in_font = lx->font_depth > 0;
    if (in_text || (in_font && len > 1)) {
        if (name_is(s, len, "or") || name_is(s, len, "and")) emit(lx, T_SEP, 0, s, len, 0);
        else if (in_text && (name_is(s, len, "infinity") || name_is(s, len, "inf")))
            emit(lx, T_CONST, 0, "inf", 3, 0);
        else emit(lx, T_WORD, 0, s, len, 0);
        return;
    }
    size_t p = 0;
    while (p < len) {
        const char *r = s + p;
        size_t rl = len - p;
        if (name_is(r, rl, "or") || name_is(r, rl, "and")) { emit(lx, T_SEP, 0, r, rl, 0); return; }
        if (name_is(r, rl, "pi")) { emit(lx, T_CONST, 0, "pi", 2, 0); return; }
        if (name_is(r, rl, "inf") || name_is(r, rl, "infty") || name_is(r, rl, "infinity")) {
            emit(lx, T_CONST, 0, "inf", 3, 0);
            return;
        }
        if (name_is(r, rl, "sqrt")) { emit(lx, T_SQRT, 0, r, rl, 0); return; }
        /* a function name at the start of the run: "sinx" is sin x */
        size_t best = 0;
        for (int i = 0; FUNCS[i]; i++) {
            size_t fl = strlen(FUNCS[i]);
            if (fl <= rl && fl > best && memcmp(r, FUNCS[i], fl) == 0) best = fl;
        }
        if (best && (best == rl || rl - best <= 2)) {
            emit(lx, T_FUNC, 0, r, best, 0);
            p += best;
            continue;
        }
        if (rl >= 3 || name_in(r, rl, UNITS2)) {
            emit(lx, T_WORD, 0, r, rl, 0);
            return;
        }
        if (r[0] == 'e' || r[0] == 'i') emit(lx, T_CONST, 0, r, 1, 0);
        else emit(lx, T_VAR, 0, r, 1, 0);
        p++;
    }
}

static size_t skip_spaces(const char *s, size_t len, size_t p) {
    while (p < len && lx_is_space((unsigned char)s[p])) p++;
    return p;
}

/* A number starting at p: digits, thousands groups (",ddd", "{,}ddd", "\,ddd" when every group
 * has exactly three digits), a fraction, an exponent. Returns the end. */
static size_t lex_number(lexer *lx, size_t p) {
    const char *s = lx->s;
    size_t len = lx->len, b = p;
    int flags = 0;
    while (p < len && lx_is_digit(s[p])) p++;
    if (p - b >= 1 && p - b <= 3) {
        for (;;) {
            size_t q = p, sep = 0;
            if (len - q >= 3 && s[q] == ',' && s[q + 1] == '\\' && s[q + 2] == '!') sep = 3;
            else if (q < len && s[q] == ',' && lx->brackets == 0) sep = 1;
            else if (len - q >= 3 && s[q] == '{' && s[q + 1] == ',' && s[q + 2] == '}') sep = 3;
            else if (len - q >= 2 && s[q] == '\\' && s[q + 1] == ',') sep = 2;
            if (!sep) break;
            q += sep;
            size_t d = q;
            while (d < len && lx_is_digit(s[d]) && d - q < 4) d++;
            if (d - q != 3 || (d < len && lx_is_digit(s[d]))) break;
            p = d;
        }
    }
    if (p + 1 < len && s[p] == '.' && lx_is_digit(s[p + 1])) {
        p++;
        while (p < len && lx_is_digit(s[p])) p++;
        flags |= TF_FLOAT;
    }
    /* a repeating decimal 0.1\overline{36} is an exact rational */
    if (p < len && (s[p] == '.' || (flags & TF_FLOAT))) {
        size_t q = p + (s[p] == '.');
        if (len - q > 10 && memcmp(s + q, "\\overline", 9) == 0) {
            size_t r = skip_spaces(s, len, q + 9);
            if (r < len && s[r] == '{') {
                size_t d = r + 1;
                while (d < len && lx_is_digit(s[d])) d++;
                if (d > r + 1 && d < len && s[d] == '}') {
                    emit(lx, T_NUM, 0, s + b, d + 1 - b, TF_REPEAT);
                    return d + 1;
                }
            }
        }
    }
    if (p + 1 < len && (s[p] == 'e' || s[p] == 'E')) {
        size_t q = p + 1;
        if (q < len && (s[q] == '+' || s[q] == '-')) q++;
        if (q < len && lx_is_digit(s[q]) && p > b) {
            while (q < len && lx_is_digit(s[q])) q++;
            p = q;
            flags |= TF_FLOAT;
        }
    }
    emit(lx, T_NUM, 0, s + b, p - b, flags);
    return p;
}

static void push_brace(lexer *lx, int type) {
    if (lx->depth >= MATH_MAX_DEPTH) {
        lx->err = GRPO_MATH_TOO_DEEP;
        return;
    }
    lx->stack[lx->depth++] = (uint8_t)type;
    if (type == 1) lx->text_depth++;
    if (type == 2) lx->font_depth++;
}

/* After "^": "\circ", "{\circ}" make a degree sign. Returns the end, or 0 if not a degree. */
static size_t degree_after_caret(const char *s, size_t len, size_t p) {
    p = skip_spaces(s, len, p);
    int brace = p < len && s[p] == '{';
    if (brace) p = skip_spaces(s, len, p + 1);
    if (len - p >= 5 && memcmp(s + p, "\\circ", 5) == 0 && !(len - p > 5 && lx_is_alpha(s[p + 5]))) {
        p += 5;
        if (brace) {
            p = skip_spaces(s, len, p);
            if (p >= len || s[p] != '}') return 0;
            p++;
        }
        return p;
    }
    return 0;
}

static size_t lex_command(lexer *lx, size_t p) {
    const char *s = lx->s;
    size_t len = lx->len;
    size_t b = p + 1, e = b;
    while (e < len && lx_is_alpha(s[e])) e++;
    if (e == b) { /* one-character command */
        if (b >= len) return b;
        char c = s[b];
        switch (c) {
        case '\\': emit(lx, T_ROWSEP, 0, s + p, 2, 0); break;
        case '{': emit(lx, T_LSET, 0, s + p, 2, 0); lx->brackets++; break;
        case '}': emit(lx, T_RSET, 0, s + p, 2, 0); lx->brackets -= lx->brackets > 0; break;
        case '%': emit(lx, T_PERCENT, 0, s + p, 2, 0); break;
        case '|': emit(lx, T_BAR, 0, s + p, 2, 0); break;
        case '(': case ')': case '[': case ']': break; /* \( \) \[ \] math delimiters */
        default: break; /* \, \; \! \: \  \$ \> and the like: spacing or currency */
        }
        return b + 1;
    }
    const char *nm = s + b;
    size_t nl = e - b;
    if (name_is(nm, nl, "left") || name_is(nm, nl, "right")) {
        size_t q = skip_spaces(s, len, e);
        if (q < len && s[q] == '.') return q + 1;
        return e;
    }
    if (name_in(nm, nl, IGNORED)) return e;
    if (name_in(nm, nl, DECORATIONS)) {
        /* \bar{x}, \hat x: a symbol of its own, named by its source text */
        size_t q = skip_spaces(s, len, e), end = 0;
        if (q + 2 < len && s[q] == '{' && (lx_is_alpha(s[q + 1]) || lx_is_digit(s[q + 1])) && s[q + 2] == '}')
            end = q + 3;
        else if (q < len && lx_is_alpha(s[q]) && !(q + 1 < len && lx_is_alpha(s[q + 1]))) end = q + 1;
        if (end) {
            emit(lx, T_VAR, 0, s + p, end - p, 0);
            return end;
        }
        return e;
    }
    if (name_is(nm, nl, "color") || name_is(nm, nl, "textcolor") || name_is(nm, nl, "hspace") ||
        name_is(nm, nl, "vspace") || name_is(nm, nl, "label") || name_is(nm, nl, "tag")) {
        /* the first argument is styling, not math: \textcolor{red}{5} keeps only {5} */
        size_t q = skip_spaces(s, len, e);
        if (q < len && s[q] == '{') {
            size_t r = q + 1;
            while (r < len && s[r] != '}' && r - q < 64) r++;
            if (r < len && s[r] == '}') return r + 1;
        }
        return e;
    }
    if (name_is(nm, nl, "operatorname")) { /* \operatorname{lcm}: a function by name */
        size_t q = skip_spaces(s, len, e), r = q + 1;
        while (q < len && s[q] == '{' && r < len && lx_is_alpha(s[r])) r++;
        if (q < len && s[q] == '{' && r < len && s[r] == '}' &&
            (name_in(s + q + 1, r - q - 1, FUNCS) || name_is(s + q + 1, r - q - 1, "lcm"))) {
            emit(lx, T_FUNC, 0, s + q + 1, r - q - 1, 0);
            return r + 1;
        }
    }
    if (name_in(nm, nl, TEXTS) || name_in(nm, nl, FONTS)) {
        size_t q = skip_spaces(s, len, e);
        if (q < len && s[q] == '{') {
            push_brace(lx, name_in(nm, nl, TEXTS) ? 1 : 2);
            return q + 1;
        }
        return e;
    }
    if (name_is(nm, nl, "mathbb")) {
        size_t q = skip_spaces(s, len, e);
        if (len - q >= 3 && s[q] == '{' && s[q + 2] == '}') {
            if (s[q + 1] == 'R') emit(lx, T_REALS, 0, s + p, q + 3 - p, 0);
            else emit(lx, T_WORD, 0, s + q + 1, 1, 0);
            return q + 3;
        }
        return e;
    }
    if (name_is(nm, nl, "frac") || name_is(nm, nl, "dfrac") || name_is(nm, nl, "tfrac") ||
        name_is(nm, nl, "cfrac")) { emit(lx, T_FRAC, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "sqrt")) { emit(lx, T_SQRT, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "binom") || name_is(nm, nl, "dbinom") || name_is(nm, nl, "tbinom") ||
        name_is(nm, nl, "choose")) { emit(lx, T_FRAC, 1, nm, nl, 0); return e; }
    if (name_in(nm, nl, FUNCS)) { emit(lx, T_FUNC, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "pi")) { emit(lx, T_CONST, 0, "pi", 2, 0); return e; }
    if (name_is(nm, nl, "infty") || name_is(nm, nl, "infinity") || name_is(nm, nl, "inf")) {
        emit(lx, T_CONST, 0, "inf", 3, 0);
        return e;
    }
    if (name_in(nm, nl, GREEK)) { emit(lx, T_VAR, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "cdot") || name_is(nm, nl, "times") || name_is(nm, nl, "ast") ||
        name_is(nm, nl, "cdotp")) { emit(lx, T_TIMES, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "div")) { emit(lx, T_DIVIDE, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "pm")) { emit(lx, T_PM, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "mp")) { emit(lx, T_MP, 0, nm, nl, 0); return e; }
    static const struct { const char *name; int op; } rels[] = {
        {"le", MR_LE}, {"leq", MR_LE}, {"leqslant", MR_LE}, {"leqq", MR_LE}, {"ge", MR_GE},
        {"geq", MR_GE}, {"geqslant", MR_GE}, {"geqq", MR_GE}, {"ne", MR_NE}, {"neq", MR_NE},
        {"lt", MR_LT}, {"gt", MR_GT}, {"equiv", MR_EQ}, {NULL, 0}};
    for (int i = 0; rels[i].name; i++)
        if (name_is(nm, nl, rels[i].name)) { emit(lx, T_REL, rels[i].op, nm, nl, 0); return e; }
    if (name_is(nm, nl, "approx") || name_is(nm, nl, "simeq") || name_is(nm, nl, "sim") ||
        name_is(nm, nl, "thickapprox")) { emit(lx, T_APPROX, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "in")) { emit(lx, T_IN, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "cup")) { emit(lx, T_CUP, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "cap")) { emit(lx, T_CAP, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "setminus") || name_is(nm, nl, "backslash")) {
        emit(lx, T_SETMINUS, 0, nm, nl, 0);
        return e;
    }
    if (name_is(nm, nl, "emptyset") || name_is(nm, nl, "varnothing")) {
        emit(lx, T_EMPTY, 0, nm, nl, 0);
        return e;
    }
    if (name_is(nm, nl, "ldots") || name_is(nm, nl, "cdots") || name_is(nm, nl, "dots") ||
        name_is(nm, nl, "dotsc") || name_is(nm, nl, "dotsb") || name_is(nm, nl, "vdots")) {
        emit(lx, T_DOTS, 0, nm, nl, 0);
        return e;
    }
    if (name_is(nm, nl, "circ") || name_is(nm, nl, "degree")) {
        emit(lx, T_DEGREE, 0, nm, nl, 0);
        return e;
    }
    if (name_is(nm, nl, "lvert") || name_is(nm, nl, "rvert") || name_is(nm, nl, "vert") ||
        name_is(nm, nl, "mid")) { emit(lx, T_BAR, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "colon")) { emit(lx, T_COLON, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "sum") || name_is(nm, nl, "prod")) {
        emit(lx, T_BIGOP, nm[0] == 'p', nm, nl, 0);
        return e;
    }
    if (name_is(nm, nl, "lfloor")) { emit(lx, T_LFLOOR, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "rfloor")) { emit(lx, T_RFLOOR, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "lceil")) { emit(lx, T_LCEIL, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "rceil")) { emit(lx, T_RCEIL, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "lbrack")) { emit(lx, T_LBRACK, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "rbrack")) { emit(lx, T_RBRACK, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "langle")) { emit(lx, T_LPAREN, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "rangle")) { emit(lx, T_RPAREN, 0, nm, nl, 0); return e; }
    if (name_is(nm, nl, "begin") || name_is(nm, nl, "end")) {
        size_t q = skip_spaces(s, len, e);
        if (q < len && s[q] == '{') {
            size_t r = q + 1;
            while (r < len && s[r] != '}' && r - q < 32) r++;
            if (r < len && s[r] == '}') {
                int is_begin = name_is(nm, nl, "begin");
                emit(lx, is_begin ? T_BEGIN : T_ENDENV, 0, s + q + 1, r - q - 1, 0);
                r++;
                /* \begin{array}{cc}: skip the column specification */
                if (is_begin && name_is(s + q + 1, r - q - 2, "array")) {
                    size_t c = skip_spaces(s, len, r);
                    if (c < len && s[c] == '{') {
                        size_t d = c + 1;
                        while (d < len && s[d] != '}' && d - c < 64) d++;
                        if (d < len && s[d] == '}') r = d + 1;
                    }
                }
                return r;
            }
        }
        return e;
    }
    /* an unknown command is an opaque symbol of its own name, never a no-op: \neg 5 is not 5 */
    if (lx->text_depth > 0) emit(lx, T_WORD, 0, nm, nl, 0);
    else emit(lx, T_VAR, 0, s + p, e - p, 0);
    return e;
}

/* Digit value of a fullwidth (U+FF10..) or superscript digit at p, with its byte length. */
static int special_digit(const char *s, size_t len, size_t p, size_t *bytes, int *superscript) {
    const unsigned char *u = (const unsigned char *)s + p;
    size_t left = len - p;
    if (left >= 3 && u[0] == 0xEF && u[1] == 0xBC && u[2] >= 0x90 && u[2] <= 0x99) {
        *bytes = 3;
        *superscript = 0;
        return u[2] - 0x90;
    }
    if (left >= 2 && u[0] == 0xC2 && (u[1] == 0xB9 || u[1] == 0xB2 || u[1] == 0xB3)) {
        *bytes = 2;
        *superscript = 1;
        return u[1] == 0xB9 ? 1 : u[1] - 0xB0;
    }
    if (left >= 3 && u[0] == 0xE2 && u[1] == 0x81 && (u[2] == 0xB0 || (u[2] >= 0xB4 && u[2] <= 0xB9))) {
        *bytes = 3;
        *superscript = 1;
        return u[2] - 0xB0;
    }
    return -1;
}

/* A run of fullwidth digits (a number) or superscript digits (an exponent), copied as ASCII. */
static size_t lex_special_digits(lexer *lx, size_t p) {
    size_t bytes, q = p, n = 0;
    int sup, first_sup = -1, d;
    while (q < lx->len && (d = special_digit(lx->s, lx->len, q, &bytes, &sup)) >= 0 &&
           (first_sup < 0 || sup == first_sup)) {
        first_sup = sup;
        q += bytes;
        n++;
    }
    if (n == 0) return 0;
    char *digits = grpo_math_alloc(lx->a, n);
    if (!digits) {
        lx->err = GRPO_MATH_TOO_LONG;
        return q - p;
    }
    size_t w = 0;
    for (size_t r = p; r < q; r += bytes) digits[w++] = (char)('0' + special_digit(lx->s, lx->len, r, &bytes, &sup));
    if (first_sup) emit(lx, T_POW, 0, lx->s + p, 0, 0);
    emit(lx, T_NUM, 0, digits, n, 0);
    return q - p;
}

/* Known multi-byte UTF-8 sequences; returns bytes consumed (0 if unknown). */
static size_t lex_unicode(lexer *lx, size_t p) {
    static const struct { const char *utf8; int kind, op; } map[] = {
        {"\xe2\x88\x92", T_MINUS, 0}, {"\xe2\x80\x93", T_MINUS, 0}, {"\xe2\x80\x94", T_MINUS, 0},
        {"\xc3\x97", T_TIMES, 0}, {"\xc2\xb7", T_TIMES, 0}, {"\xe2\x8b\x85", T_TIMES, 0},
        {"\xe2\x88\x99", T_TIMES, 0}, {"\xc3\xb7", T_DIVIDE, 0}, {"\xc2\xb0", T_DEGREE, 0},
        {"\xcf\x80", T_CONST, 1}, {"\xe2\x88\x9a", T_SQRT, 0}, {"\xe2\x88\x9e", T_CONST, 2},
        {"\xe2\x89\xa4", T_REL, MR_LE}, {"\xe2\x89\xa5", T_REL, MR_GE}, {"\xe2\x89\xa0", T_REL, MR_NE},
        {"\xe2\x89\x88", T_APPROX, 0}, {"\xc2\xb1", T_PM, 0}, {"\xe2\x88\x93", T_MP, 0},
        {"\xe2\x88\xaa", T_CUP, 0}, {"\xe2\x88\xa9", T_CAP, 0}, {"\xe2\x88\x85", T_EMPTY, 0},
        {"\xe2\x88\x88", T_IN, 0}, {"\xe2\x84\x9d", T_REALS, 0}, {"\xe2\x80\xa6", T_DOTS, 0},
        {"\xc2\xa0", -1, 0}, {"\xe2\x80\x89", -1, 0}, {"\xe2\x80\xaf", -1, 0},
        {"\xe2\x80\x8b", -1, 0}, {"\xef\xbc\x8c", T_COMMA, 0}, {"\xe3\x80\x81", T_COMMA, 0},
        {"\xef\xbc\x9a", T_COLON, 0}, {"\xe3\x80\x82", T_DOT, 0}, {"\xef\xbc\x88", T_LPAREN, 0},
        {"\xef\xbc\x89", T_RPAREN, 0}, {NULL, 0, 0}};
    static const struct { const char *utf8, *num, *den; } vulgar[] = {
        {"\xc2\xbd", "1", "2"}, {"\xc2\xbc", "1", "4"}, {"\xc2\xbe", "3", "4"},
        {"\xe2\x85\x93", "1", "3"}, {"\xe2\x85\x94", "2", "3"}, {"\xe2\x85\x95", "1", "5"},
        {"\xe2\x85\x99", "1", "6"}, {"\xe2\x85\x9b", "1", "8"}, {NULL, NULL, NULL}};
    for (int i = 0; vulgar[i].utf8; i++) { /* ½ is \frac12, so 3½ is a mixed number */
        size_t l = strlen(vulgar[i].utf8);
        if (lx->len - p >= l && memcmp(lx->s + p, vulgar[i].utf8, l) == 0) {
            emit(lx, T_FRAC, 0, lx->s + p, l, 0);
            emit(lx, T_LBRACE, 0, lx->s + p, 0, 0);
            emit(lx, T_NUM, 0, vulgar[i].num, 1, 0);
            emit(lx, T_RBRACE, 0, lx->s + p, 0, 0);
            emit(lx, T_LBRACE, 0, lx->s + p, 0, 0);
            emit(lx, T_NUM, 0, vulgar[i].den, 1, 0);
            emit(lx, T_RBRACE, 0, lx->s + p, 0, 0);
            return l;
        }
    }
    size_t digits = lex_special_digits(lx, p);
    if (digits) return digits;
    for (int i = 0; map[i].utf8; i++) {
        size_t l = strlen(map[i].utf8);
        if (lx->len - p >= l && memcmp(lx->s + p, map[i].utf8, l) == 0) {
            if (map[i].kind == T_CONST)
                emit(lx, T_CONST, 0, map[i].op == 1 ? "pi" : "inf", map[i].op == 1 ? 2 : 3, 0);
            else if (map[i].kind >= 0)
                emit(lx, map[i].kind, map[i].op, lx->s + p, l, 0);
            return l;
        }
    }
    return 0;
}

static void lex(lexer *lx) {
    const char *s = lx->s;
    size_t len = lx->len, p = 0;
    while (p < len && !lx->err) {
        unsigned char c = (unsigned char)s[p];
        if (c == '\'' && lx->n > 0 && lx->t[lx->n - 1].kind == T_VAR &&
            lx->t[lx->n - 1].s + lx->t[lx->n - 1].len == s + p) {
            lx->t[lx->n - 1].len++; /* x' is a symbol of its own */
            p++;
            continue;
        }
        if (lx_is_space(c) || c == '$' || c == '\'' || c == '"' || c == '`' || c == '?') { p++; continue; }
        if (lx_is_digit(c) || (c == '.' && p + 1 < len && lx_is_digit(s[p + 1]))) {
            p = lex_number(lx, p);
            continue;
        }
        if (lx_is_alpha(c)) {
            size_t e = p;
            while (e < len && lx_is_alpha(s[e])) e++;
            lex_letters(lx, s + p, e - p);
            p = e;
            continue;
        }
        if (c >= 0x80) {
            size_t used = lex_unicode(lx, p);
            if (used) { p += used; continue; }
            size_t e = p;
            while (e < len && (unsigned char)s[e] >= 0x80 && !(e > p && lex_unicode(lx, e))) e++;
            emit(lx, T_WORD, 0, s + p, e - p, 0);
            p = e;
            continue;
        }
        switch (c) {
        case '\\': p = lex_command(lx, p); continue;
        case '^': {
            size_t d = degree_after_caret(s, len, p + 1);
            if (d) {
                emit(lx, T_DEGREE, 0, s + p, d - p, 0);
                p = d;
            } else {
                emit(lx, T_POW, 0, s + p, 1, 0);
                p++;
            }
            continue;
        }
        case '*':
            if (p + 1 < len && s[p + 1] == '*') { p += 2; continue; } /* markdown bold */
            emit(lx, T_TIMES, 0, s + p, 1, 0);
            break;
        case '{': emit(lx, T_LBRACE, 0, s + p, 1, 0); push_brace(lx, 0); break;
        case '}':
            if (lx->depth > 0) {
                int type = lx->stack[--lx->depth];
                if (type == 1) lx->text_depth--;
                if (type == 2) lx->font_depth--;
                if (type != 0) break;
            }
            emit(lx, T_RBRACE, 0, s + p, 1, 0);
            break;
        case '+': emit(lx, T_PLUS, 0, s + p, 1, 0); break;
        case '-': emit(lx, T_MINUS, 0, s + p, 1, 0); break;
        case '/': emit(lx, T_SLASH, 0, s + p, 1, 0); break;
        case '_': emit(lx, T_SUB, 0, s + p, 1, 0); break;
        case '=':
            if (p + 1 < len && s[p + 1] == '=') p++;
            emit(lx, T_REL, MR_EQ, s + p, 1, 0);
            break;
        case '<':
            if (p + 1 < len && s[p + 1] == '=') { emit(lx, T_REL, MR_LE, s + p, 2, 0); p++; }
            else emit(lx, T_REL, MR_LT, s + p, 1, 0);
            break;
        case '>':
            if (p + 1 < len && s[p + 1] == '=') { emit(lx, T_REL, MR_GE, s + p, 2, 0); p++; }
            else emit(lx, T_REL, MR_GT, s + p, 1, 0);
            break;
        case '!':
            if (p + 1 < len && s[p + 1] == '=') { emit(lx, T_REL, MR_NE, s + p, 2, 0); p++; }
            else emit(lx, T_BANG, 0, s + p, 1, 0);
            break;
        case '%': emit(lx, T_PERCENT, 0, s + p, 1, 0); break;
        case ',': emit(lx, T_COMMA, 0, s + p, 1, 0); break;
        case ';': emit(lx, T_SEMI, 0, s + p, 1, 0); break;
        case ':': emit(lx, T_COLON, 0, s + p, 1, 0); break;
        case '.': emit(lx, T_DOT, 0, s + p, 1, 0); break;
        case '(': emit(lx, T_LPAREN, 0, s + p, 1, 0); lx->brackets++; break;
        case ')': emit(lx, T_RPAREN, 0, s + p, 1, 0); lx->brackets -= lx->brackets > 0; break;
        case '[': emit(lx, T_LBRACK, 0, s + p, 1, 0); lx->brackets++; break;
        case ']': emit(lx, T_RBRACK, 0, s + p, 1, 0); lx->brackets -= lx->brackets > 0; break;
        case '|': emit(lx, T_BAR, 0, s + p, 1, 0); break;
        case '&': emit(lx, T_AMP, 0, s + p, 1, 0); break;
        case '#': case '@': break;
        default: emit(lx, T_WORD, 0, s + p, 1, 0); break;
        }
        p++;
    }
    emit(lx, T_END, 0, s + len, 0, 0);
}

/* ------------------------------------------------------------------------------ parser */

typedef struct {
    math_arena *a;
    token *t;
    int pos, n, depth, abs_depth, err, words, pm_count, strict;
} parser;

static token *peek(parser *p) { return &p->t[p->pos]; }
static int at(parser *p, int kind) { return p->t[p->pos].kind == kind; }

static math_node *new_node(parser *p, int kind, int n) {
    math_node *node = grpo_math_alloc(p->a, sizeof(math_node));
    if (!node) {
        p->err = GRPO_MATH_TOO_LONG;
        return NULL;
    }
    memset(node, 0, sizeof *node);
    node->kind = (uint8_t)kind;
    node->n = n;
    if (n > 0) {
        node->kids = grpo_math_alloc(p->a, sizeof(math_node *) * (size_t)n);
        if (!node->kids) {
            p->err = GRPO_MATH_TOO_LONG;
            return NULL;
        }
        memset(node->kids, 0, sizeof(math_node *) * (size_t)n);
    }
    return node;
}

static math_node *fail(parser *p, int reason) {
    if (!p->err) p->err = reason;
    return NULL;
}

/* Growable child list backed by the arena. */
typedef struct {
    math_node **v;
    int n, cap;
} kids_t;

static int push_kid(parser *p, kids_t *k, math_node *x) {
    if (!x) return 0;
    if (k->n == k->cap) {
        int cap = k->cap ? k->cap * 2 : 8;
        math_node **v = grpo_math_alloc(p->a, sizeof(math_node *) * (size_t)cap);
        if (!v) return fail(p, GRPO_MATH_TOO_LONG), 0;
        if (k->n) memcpy(v, k->v, sizeof(math_node *) * (size_t)k->n);
        k->v = v;
        k->cap = cap;
    }
    k->v[k->n++] = x;
    return 1;
}

static math_node *from_kids(parser *p, int kind, kids_t *k) {
    math_node *node = new_node(p, kind, 0);
    if (!node) return NULL;
    node->n = k->n;
    node->kids = k->v;
    return node;
}

static math_node *parse_item(parser *p);
static math_node *parse_expr(parser *p);
static math_node *parse_unary(parser *p);
static math_node *parse_power(parser *p);
static math_node *parse_term(parser *p);

static int enter(parser *p) {
    if (++p->depth > MATH_MAX_DEPTH) {
        fail(p, GRPO_MATH_TOO_DEEP);
        return 0;
    }
    return 1;
}

/* 12.3\overline{45}: (digits "12345" - digits "123") / (10^1 * (10^2 - 1)) */
static math_node *repeating_node(parser *p, token *tk) {
    char *all = grpo_math_alloc(p->a, tk->len + 1), *head = grpo_math_alloc(p->a, tk->len + 1);
    char *nines = grpo_math_alloc(p->a, tk->len + 1);
    if (!all || !head || !nines) return fail(p, GRPO_MATH_TOO_LONG);
    size_t na = 0, nh = 0, nrep = 0, nonrep = 0;
    int in_frac = 0, in_rep = 0;
    for (size_t i = 0; i < tk->len; i++) {
        char c = tk->s[i];
        if (c == '.') in_frac = 1;
        else if (c == '{') in_rep = 1;
        else if (c >= '0' && c <= '9') {
            all[na++] = c;
            if (in_rep) nines[nrep++] = '9';
            else {
                head[nh++] = c;
                nonrep += in_frac;
            }
        }
    }
    math_node *node = new_node(p, MN_NUM, 0);
    math_rat x, y, d, scale;
    if (!node || !grpo_math_rat_from_decimal(p->a, &x, all, na, 0) ||
        !grpo_math_rat_from_decimal(p->a, &y, head, nh, 0) ||
        !grpo_math_rat_from_decimal(p->a, &d, nines, nrep, 0) ||
        !grpo_math_rat_from_decimal(p->a, &scale, "1", 1, (int64_t)nonrep))
        return fail(p, GRPO_MATH_TOO_LONG);
    y.sign = -y.sign;
    if (!grpo_math_rat_add(p->a, &x, &x, &y) || !grpo_math_rat_mul(p->a, &d, &d, &scale) ||
        !grpo_math_rat_div(p->a, &node->rat, &x, &d))
        return fail(p, GRPO_MATH_TOO_LONG);
    return node;
}

static math_node *number_node(parser *p, token *tk) {
    if (tk->flags & TF_REPEAT) return repeating_node(p, tk);
    char *digits = grpo_math_alloc(p->a, tk->len + 1);
    if (!digits) return fail(p, GRPO_MATH_TOO_LONG);
    size_t nd = 0;
    int64_t frac = 0, exp10 = 0, in_frac = 0;
    size_t i = 0;
    for (; i < tk->len; i++) {
        char c = tk->s[i];
        if (c >= '0' && c <= '9') {
            digits[nd++] = c;
            frac += in_frac;
        } else if (c == '.') {
            in_frac = 1;
        } else if (c == 'e' || c == 'E') {
            break;
        }
    }
    if (i < tk->len) {
        int neg = 0;
        i++;
        if (tk->s[i] == '+' || tk->s[i] == '-') neg = tk->s[i++] == '-';
        for (; i < tk->len; i++) {
            exp10 = exp10 * 10 + (tk->s[i] - '0');
            if (exp10 > 100000) return fail(p, GRPO_MATH_TOO_LONG);
        }
        if (neg) exp10 = -exp10;
    }
    math_node *node = new_node(p, MN_NUM, 0);
    if (!node) return NULL;
    if (!grpo_math_rat_from_decimal(p->a, &node->rat, digits, nd, exp10 - frac))
        return fail(p, GRPO_MATH_TOO_LONG);
    if (tk->flags & TF_FLOAT) node->flags |= MF_FLOAT;
    return node;
}

static math_node *leaf(parser *p, int kind, const char *name, size_t len) {
    math_node *node = new_node(p, kind, 0);
    if (node) {
        node->name = name;
        node->name_len = len;
    }
    return node;
}

/* Parses until the closing token `close`; items separated by commas. */
static int parse_items(parser *p, kids_t *items, int close1, int close2) {
    if (at(p, close1) || at(p, close2)) return 1;
    for (;;) {
        if (!push_kid(p, items, parse_item(p))) return 0;
        if (items->n > MATH_MAX_ITEMS) return fail(p, GRPO_MATH_TOO_LONG), 0;
        if (at(p, T_COMMA) || at(p, T_SEMI) || at(p, T_SEP)) {
            p->pos++;
            continue;
        }
        return 1;
    }
}

/* A braced group's content (one expression). */
static math_node *parse_group(parser *p) {
    p->pos++; /* { */
    kids_t items = {0};
    if (!parse_items(p, &items, T_RBRACE, T_RBRACE)) return NULL;
    if (!at(p, T_RBRACE)) return fail(p, GRPO_MATH_SYNTAX);
    p->pos++;
    if (items.n == 0) return fail(p, GRPO_MATH_EMPTY);
    if (items.n == 1) return items.v[0];
    math_node *set = from_kids(p, MN_SET, &items);
    return set;
}

/* A command argument: a braced group, or one character / token (\frac12, \sqrt3). */
static math_node *parse_arg(parser *p) {
    if (at(p, T_LBRACE)) return parse_group(p);
    if (p->strict) return fail(p, GRPO_MATH_SYNTAX);
    token *tk = peek(p);
    if (tk->kind == T_NUM && tk->len > 1 && tk->s[0] >= '0' && tk->s[0] <= '9') {
        token one = *tk;
        one.len = 1;
        one.flags = 0;
        tk->s++;
        tk->len--;
        return number_node(p, &one);
    }
    if (tk->kind == T_NUM || tk->kind == T_VAR || tk->kind == T_CONST) {
        p->pos++;
        if (tk->kind == T_NUM) return number_node(p, tk);
        return leaf(p, tk->kind == T_VAR ? MN_VAR : MN_CONST, tk->s, tk->len);
    }
    return parse_power(p);
}

static math_node *parse_matrix(parser *p) {
    p->pos++; /* \begin{...} */
    kids_t cells = {0};
    int rows = 0, cols = -1, in_row = 0;
    while (!at(p, T_ENDENV) && !at(p, T_END)) {
        if (!push_kid(p, &cells, parse_item(p))) return NULL;
        in_row++;
        if (cells.n > MATH_MAX_ITEMS) return fail(p, GRPO_MATH_TOO_LONG);
        if (at(p, T_AMP)) {
            p->pos++;
            continue;
        }
        if (at(p, T_ROWSEP)) p->pos++;
        if (cols >= 0 && cols != in_row) return fail(p, GRPO_MATH_SYNTAX);
        cols = in_row;
        in_row = 0;
        rows++;
    }
    if (!at(p, T_ENDENV) || rows == 0) return fail(p, GRPO_MATH_SYNTAX);
    p->pos++;
    math_node *m = from_kids(p, MN_MATRIX, &cells);
    if (m) {
        m->rows = rows;
        m->cols = cols;
    }
    return m;
}

static math_node *parse_primary(parser *p) {
    if (!enter(p)) return NULL;
    math_node *r = NULL;
    token *tk = peek(p);
    while (tk->kind == T_WORD) {
        /* words before the math may only be filler: "never 5", "all but 5", "instead of 5" are
         * not 5, and no list of such words is ever complete */
        if (!name_in(tk->s, tk->len, LEADING_FILLER)) return fail(p, GRPO_MATH_SYNTAX);
        p->words++;
        p->pos++;
        tk = peek(p);
    }
    switch (tk->kind) {
    case T_NUM:
        p->pos++;
        r = number_node(p, tk);
        break;
    case T_VAR:
        p->pos++;
        r = leaf(p, MN_VAR, tk->s, tk->len);
        break;
    case T_CONST:
        p->pos++;
        r = leaf(p, MN_CONST, tk->s, tk->len);
        break;
    case T_REALS: p->pos++; r = new_node(p, MN_REALS, 0); break;
    case T_EMPTY: p->pos++; r = new_node(p, MN_EMPTY, 0); break;
    case T_DOTS: p->pos++; r = new_node(p, MN_DOTS, 0); break;
    case T_FUNC: {
        p->pos++;
        r = leaf(p, MN_FUNC, tk->s, tk->len);
        if (!r) break;
        math_node *base = NULL, *power = NULL;
        if (at(p, T_SUB)) {
            p->pos++;
            base = parse_arg(p);
            if (!base) break;
        }
        if (at(p, T_POW)) {
            p->pos++;
            power = parse_arg(p);
            if (!power) break;
        }
        math_node *arg;
        if (at(p, T_LPAREN)) {
            arg = parse_power(p);
        } else { /* \sin 2x is sin(2x): the argument runs over plain factors */
            arg = parse_unary(p);
            kids_t fs = {0};
            if (arg && (at(p, T_NUM) || at(p, T_VAR) || at(p, T_CONST))) {
                push_kid(p, &fs, arg);
                while (at(p, T_NUM) || at(p, T_VAR) || at(p, T_CONST))
                    if (!push_kid(p, &fs, parse_power(p)) || fs.n > 64) return fail(p, GRPO_MATH_SYNTAX);
                arg = from_kids(p, MN_MUL, &fs);
            }
        }
        if (!arg) break;
        r->n = base ? 2 : 1;
        r->kids = grpo_math_alloc(p->a, sizeof(math_node *) * 2);
        if (!r->kids) return fail(p, GRPO_MATH_TOO_LONG);
        r->kids[0] = arg;
        r->kids[1] = base;
        if (power) {
            math_node *pw = new_node(p, MN_POW, 2);
            if (!pw) break;
            pw->kids[0] = r;
            pw->kids[1] = power;
            r = pw;
        }
        break;
    }
    case T_FRAC: {
        p->pos++;
        math_node *num = parse_arg(p);
        math_node *den = num ? parse_arg(p) : NULL;
        if (!den) break;
        if (tk->op == 1) { /* \binom{n}{k} */
            r = leaf(p, MN_FUNC, "binom", 5);
            if (!r || !(r->kids = grpo_math_alloc(p->a, sizeof(math_node *) * 2)))
                return fail(p, GRPO_MATH_TOO_LONG);
            r->n = 2;
            r->kids[0] = num;
            r->kids[1] = den;
            break;
        }
        r = new_node(p, MN_DIV, 2);
        if (r) {
            r->kids[0] = num;
            r->kids[1] = den;
        }
        break;
    }
    case T_SQRT: {
        p->pos++;
        math_node *index = NULL;
        if (at(p, T_LBRACK)) {
            p->pos++;
            index = parse_expr(p);
            if (!index || !at(p, T_RBRACK)) return fail(p, GRPO_MATH_SYNTAX);
            p->pos++;
        }
        math_node *arg = at(p, T_LPAREN) ? parse_power(p) : parse_arg(p);
        if (!arg) break;
        r = new_node(p, MN_ROOT, 2);
        if (!r) break;
        r->kids[0] = arg;
        if (!index) {
            index = new_node(p, MN_NUM, 0);
            if (!index || !grpo_math_rat_from_int(p->a, &index->rat, 2)) return fail(p, GRPO_MATH_TOO_LONG);
        }
        r->kids[1] = index;
        break;
    }
    case T_LBRACE:
        r = parse_group(p);
        break;
    case T_LPAREN:
    case T_LBRACK: {
        int open = tk->kind;
        p->pos++;
        kids_t items = {0};
        int saved_abs = p->abs_depth;
        p->abs_depth = 0;
        if (!parse_items(p, &items, T_RPAREN, T_RBRACK)) break;
        p->abs_depth = saved_abs;
        if (!at(p, T_RPAREN) && !at(p, T_RBRACK)) return fail(p, GRPO_MATH_SYNTAX);
        int close = peek(p)->kind;
        p->pos++;
        if (items.n == 0) return fail(p, GRPO_MATH_SYNTAX);
        if (items.n == 1 && ((open == T_LPAREN) == (close == T_RPAREN))) {
            r = items.v[0];
            break;
        }
        r = from_kids(p, MN_TUPLE, &items);
        if (r) {
            r->lbr = open == T_LPAREN ? '(' : '[';
            r->rbr = close == T_RPAREN ? ')' : ']';
        }
        break;
    }
    case T_LSET: {
        p->pos++;
        kids_t items = {0};
        if (!parse_items(p, &items, T_RSET, T_RSET)) break;
        if (!at(p, T_RSET)) return fail(p, GRPO_MATH_SYNTAX);
        p->pos++;
        r = items.n ? from_kids(p, MN_SET, &items) : new_node(p, MN_EMPTY, 0);
        break;
    }
    case T_BAR: {
        p->pos++;
        p->abs_depth++;
        math_node *inner = parse_expr(p);
        p->abs_depth--;
        if (!inner || !at(p, T_BAR)) return fail(p, GRPO_MATH_SYNTAX);
        p->pos++;
        r = new_node(p, MN_ABS, 1);
        if (r) r->kids[0] = inner;
        break;
    }
    case T_LFLOOR:
    case T_LCEIL: {
        int close = tk->kind == T_LFLOOR ? T_RFLOOR : T_RCEIL;
        p->pos++;
        math_node *inner = parse_expr(p);
        if (!inner || !at(p, close)) return fail(p, GRPO_MATH_SYNTAX);
        p->pos++;
        r = leaf(p, MN_FUNC, close == T_RFLOOR ? "floor" : "ceil", close == T_RFLOOR ? 5 : 4);
        if (!r || !(r->kids = grpo_math_alloc(p->a, sizeof(math_node *) * 2))) return fail(p, GRPO_MATH_TOO_LONG);
        r->n = 1;
        r->kids[0] = inner;
        r->kids[1] = NULL;
        break;
    }
    case T_BIGOP: { /* \sum_{i=1}^{n} term: the index must be a variable set equal to a bound */
        p->pos++;
        if (!at(p, T_SUB)) return fail(p, GRPO_MATH_SYNTAX);
        p->pos++;
        math_node *from = parse_arg(p);
        if (!from || !at(p, T_POW)) return fail(p, GRPO_MATH_SYNTAX);
        p->pos++;
        math_node *upper = parse_arg(p);
        if (!upper) return NULL;
        if (from->kind != MN_REL || from->n != 2 || from->ops[0] != MR_EQ ||
            !(from->kids[0]->kind == MN_VAR ||
              (from->kids[0]->kind == MN_CONST && from->kids[0]->name_len == 1))) /* i, e */
            return fail(p, GRPO_MATH_SYNTAX);
        math_node *term = parse_term(p);
        if (!term) return NULL;
        r = new_node(p, MN_BIGOP, 4);
        if (!r || !(r->ops = grpo_math_alloc(p->a, 1))) return fail(p, GRPO_MATH_TOO_LONG);
        r->ops[0] = tk->op;
        r->kids[0] = from->kids[0];
        r->kids[1] = from->kids[1];
        r->kids[2] = upper;
        r->kids[3] = term;
        break;
    }
    case T_BEGIN:
        r = parse_matrix(p);
        break;
    default:
        return fail(p, GRPO_MATH_SYNTAX);
    }
    p->depth--;
    return r;
}

/* Postfix operators wrap their operand: a bound keeps "5!!!!...!" from making a deep tree. */
enum { MAX_POSTFIX = 16 };

static math_node *parse_postfix(parser *p) {
    math_node *r = parse_primary(p);
    int wraps = 0;
    while (r) {
        if ((at(p, T_BANG) || at(p, T_PERCENT)) && ++wraps > MAX_POSTFIX)
            return fail(p, GRPO_MATH_TOO_DEEP);
        if (at(p, T_BANG)) {
            p->pos++;
            math_node *f = new_node(p, MN_FACT, 1);
            if (!f) return NULL;
            f->kids[0] = r;
            r = f;
        } else if (at(p, T_PERCENT)) {
            p->pos++;
            math_node *f = new_node(p, MN_PERCENT, 1);
            if (!f) return NULL;
            f->kids[0] = r;
            r = f;
        } else if (at(p, T_DEGREE)) {
            p->pos++;
        } else if (at(p, T_SUB)) {
            /* x_1 is a variable of its own; other subscripts (bases, indices) are kept apart */
            p->pos++;
            token *tk = peek(p);
            int braced = tk->kind == T_LBRACE;
            if (braced) tk = &p->t[p->pos + 1];
            if ((tk->kind == T_NUM || tk->kind == T_VAR) && r->kind == MN_VAR &&
                (!braced || p->t[p->pos + 2].kind == T_RBRACE)) {
                if (r->name_len + tk->len > 64) return fail(p, GRPO_MATH_TOO_LONG);
                char *name = grpo_math_alloc(p->a, r->name_len + tk->len + 2);
                if (!name) return fail(p, GRPO_MATH_TOO_LONG);
                memcpy(name, r->name, r->name_len);
                name[r->name_len] = '_';
                memcpy(name + r->name_len + 1, tk->s, tk->len);
                r->name = name;
                r->name_len += tk->len + 1;
                p->pos += braced ? 3 : 1;
            } else {
                math_node *sub = parse_arg(p);
                if (!sub) return NULL;
            }
        } else {
            break;
        }
    }
    return r;
}

static math_node *parse_exponent(parser *p) {
    if (at(p, T_LBRACE)) return parse_group(p);
    if (at(p, T_MINUS)) {
        p->pos++;
        if (!enter(p)) return NULL;
        math_node *inner = parse_exponent(p);
        p->depth--;
        if (!inner) return NULL;
        math_node *neg = new_node(p, MN_NEG, 1);
        if (neg) neg->kids[0] = inner;
        return neg;
    }
    return parse_postfix(p);
}

static math_node *parse_power(parser *p) {
    math_node *base = parse_postfix(p);
    if (!base || !at(p, T_POW)) return base;
    p->pos++;
    if (!enter(p)) return NULL;
    math_node *e = parse_exponent(p);
    while (e && at(p, T_POW)) { /* right-associative: a^b^c = a^(b^c) */
        p->pos++;
        math_node *e2 = parse_exponent(p);
        if (!e2) return NULL;
        math_node *pw = new_node(p, MN_POW, 2);
        if (!pw) return NULL;
        pw->kids[0] = e;
        pw->kids[1] = e2;
        e = pw;
        if (++p->depth > MATH_MAX_DEPTH) return fail(p, GRPO_MATH_TOO_DEEP);
    }
    p->depth--;
    if (!e) return NULL;
    math_node *pw = new_node(p, MN_POW, 2);
    if (!pw) return NULL;
    pw->kids[0] = base;
    pw->kids[1] = e;
    int wraps = 0;
    while (at(p, T_BANG) || at(p, T_PERCENT) || at(p, T_DEGREE)) {
        int kind = peek(p)->kind;
        p->pos++;
        if (kind == T_DEGREE) continue;
        if (++wraps > MAX_POSTFIX) return fail(p, GRPO_MATH_TOO_DEEP);
        math_node *f = new_node(p, kind == T_BANG ? MN_FACT : MN_PERCENT, 1);
        if (!f) return NULL;
        f->kids[0] = pw;
        pw = f;
    }
    return pw;
}

static math_node *parse_unary(parser *p) {
    if (at(p, T_MINUS) || at(p, T_PLUS) || at(p, T_PM) || at(p, T_MP)) {
        int kind = peek(p)->kind;
        p->pos++;
        if (!enter(p)) return NULL;
        math_node *inner = parse_unary(p);
        p->depth--;
        if (!inner || kind == T_PLUS) return inner;
        math_node *r = new_node(p, kind == T_MINUS ? MN_NEG : MN_PM, 1);
        if (!r) return NULL;
        r->kids[0] = inner;
        if (kind != T_MINUS) {
            r->index = p->pm_count++;
            if (kind == T_MP) {
                math_node *neg = new_node(p, MN_NEG, 1);
                if (!neg) return NULL;
                neg->kids[0] = r;
                r = neg;
            }
        }
        return r;
    }
    return parse_power(p);
}

static int starts_primary(parser *p) {
    switch (peek(p)->kind) {
    case T_NUM: case T_VAR: case T_CONST: case T_FUNC: case T_FRAC: case T_SQRT: case T_LPAREN:
    case T_LBRACE: case T_BEGIN: case T_LFLOOR: case T_LCEIL: case T_BIGOP:
        return 1;
    case T_BAR:
        return p->abs_depth == 0;
    default:
        return 0;
    }
}

static int is_int_literal(const math_node *x) {
    return x && x->kind == MN_NUM && !(x->flags & MF_FLOAT) && x->rat.den.n == 1 &&
           x->rat.den.d[0] == 1;
}

/* Drops trailing unit words (and an exponent on them: cm^2). */
static void skip_units(parser *p) {
    while (at(p, T_WORD)) {
        if (name_in(peek(p)->s, peek(p)->len, QUALIFIERS)) {
            fail(p, GRPO_MATH_SYNTAX);
            return;
        }
        p->words++;
        p->pos++;
        if (at(p, T_POW) && (p->t[p->pos + 1].kind == T_NUM)) p->pos += 2;
    }
}

static math_node *parse_term(parser *p) {
    int first_is_frac = at(p, T_FRAC);
    math_node *f = parse_unary(p);
    if (!f) return NULL;
    kids_t factors = {0};
    if (!push_kid(p, &factors, f)) return NULL;
    int divisions = 0;
    for (;;) {
        skip_units(p);
        if (p->err) return NULL;
        if (at(p, T_TIMES) || at(p, T_DIVIDE) || at(p, T_SLASH)) {
            int div = !at(p, T_TIMES);
            p->pos++;
            math_node *g = parse_unary(p);
            if (!g) return NULL;
            if (div) {
                if (++divisions > 64) return fail(p, GRPO_MATH_TOO_DEEP);
                math_node *d = new_node(p, MN_DIV, 2);
                if (!d) return NULL;
                d->kids[1] = g;
                g = d;
            }
            if (!push_kid(p, &factors, g)) return NULL;
        } else if (starts_primary(p)) {
            int is_frac = at(p, T_FRAC);
            math_node *g = parse_power(p);
            if (!g) return NULL;
            /* mixed number 3\frac{1}{2} = 3 + 1/2 */
            math_node *whole = factors.v[0];
            int neg = whole->kind == MN_NEG;
            if (neg) whole = whole->kids[0];
            if (is_frac && !first_is_frac && factors.n == 1 && is_int_literal(whole) &&
                g->kind == MN_DIV && is_int_literal(g->kids[0]) && is_int_literal(g->kids[1])) {
                math_node *sum = new_node(p, MN_ADD, 2);
                if (!sum) return NULL;
                sum->kids[0] = whole;
                sum->kids[1] = g;
                if (neg) {
                    factors.v[0]->kids[0] = sum;
                } else {
                    factors.v[0] = sum;
                }
                continue;
            }
            if (!push_kid(p, &factors, g)) return NULL;
        } else {
            break;
        }
        if (factors.n > 4096) return fail(p, GRPO_MATH_TOO_LONG);
    }
    if (factors.n == 1) return factors.v[0];
    return from_kids(p, MN_MUL, &factors);
}

static math_node *parse_expr(parser *p) {
    kids_t terms = {0};
    math_node *t = parse_term(p);
    if (!push_kid(p, &terms, t)) return NULL;
    while (at(p, T_PLUS) || at(p, T_MINUS) || at(p, T_PM) || at(p, T_MP)) {
        int kind = peek(p)->kind;
        p->pos++;
        math_node *u = parse_term(p);
        if (!u) return NULL;
        if (kind != T_PLUS) {
            math_node *w = new_node(p, kind == T_MINUS ? MN_NEG : MN_PM, 1);
            if (!w) return NULL;
            w->kids[0] = u;
            if (kind != T_MINUS) w->index = p->pm_count++;
            if (kind == T_MP) {
                math_node *neg = new_node(p, MN_NEG, 1);
                if (!neg) return NULL;
                neg->kids[0] = w;
                w = neg;
            }
            u = w;
        }
        if (!push_kid(p, &terms, u)) return NULL;
        if (terms.n > 4096) return fail(p, GRPO_MATH_TOO_LONG);
    }
    if (terms.n == 1) return terms.v[0];
    return from_kids(p, MN_ADD, &terms);
}

static int at_end_after_colon(parser *p) { return p->t[p->pos + 1].kind == T_END; }

/* relation chains; "\approx" keeps the exact side before it; "x \in S" is S */
static math_node *parse_relation(parser *p) {
    kids_t operands = {0};
    uint8_t ops[64];
    if (!push_kid(p, &operands, parse_expr(p))) return NULL;
    if (at(p, T_COLON) && !at_end_after_colon(p)) { /* a ratio 1:2:3 is an ordered tuple */
        while (at(p, T_COLON)) {
            p->pos++;
            if (!push_kid(p, &operands, parse_expr(p))) return NULL;
            if (operands.n > MATH_MAX_ITEMS) return fail(p, GRPO_MATH_TOO_LONG);
        }
        math_node *ratio = from_kids(p, MN_TUPLE, &operands);
        if (ratio) ratio->lbr = ratio->rbr = ':';
        return ratio;
    }
    while (at(p, T_REL) || at(p, T_APPROX) || at(p, T_IN)) {
        int kind = peek(p)->kind;
        if (kind == T_APPROX) {
            p->pos++;
            while (!at(p, T_END) && !at(p, T_COMMA) && !at(p, T_SEMI) && !at(p, T_SEP) &&
                   !at(p, T_RPAREN) && !at(p, T_RBRACK) && !at(p, T_RBRACE) && !at(p, T_RSET) &&
                   !at(p, T_AMP) && !at(p, T_ROWSEP) && !at(p, T_ENDENV))
                p->pos++;
            break;
        }
        if (kind == T_IN) {
            p->pos++;
            return parse_item(p);
        }
        if (operands.n > 63) return fail(p, GRPO_MATH_TOO_LONG);
        ops[operands.n - 1] = peek(p)->op;
        p->pos++;
        if (!push_kid(p, &operands, parse_expr(p))) return NULL;
    }
    if (operands.n == 1) return operands.v[0];
    math_node *r = from_kids(p, MN_REL, &operands);
    if (!r) return NULL;
    r->ops = grpo_math_alloc(p->a, (size_t)operands.n);
    if (!r->ops) return fail(p, GRPO_MATH_TOO_LONG);
    memcpy(r->ops, ops, (size_t)operands.n - 1);
    return r;
}

static math_node *parse_item(parser *p) {
    if (!enter(p)) return NULL;
    math_node *r = parse_relation(p);
    if (r && (at(p, T_CUP) || at(p, T_CAP) || at(p, T_SETMINUS))) {
        kids_t parts = {0};
        push_kid(p, &parts, r);
        int op = peek(p)->kind;
        while (at(p, op)) {
            p->pos++;
            if (!push_kid(p, &parts, parse_relation(p))) return NULL;
            if (parts.n > MATH_MAX_ITEMS) return fail(p, GRPO_MATH_TOO_LONG);
        }
        if (at(p, T_CUP) || at(p, T_CAP) || at(p, T_SETMINUS)) return fail(p, GRPO_MATH_SYNTAX);
        r = from_kids(p, op == T_CUP ? MN_UNION : MN_SETOP, &parts);
        if (r && op != T_CUP) {
            r->ops = grpo_math_alloc(p->a, 1);
            if (!r->ops) return fail(p, GRPO_MATH_TOO_LONG);
            r->ops[0] = op == T_SETMINUS; /* 0: \cap, 1: \setminus */
        }
    }
    p->depth--;
    return r;
}

/* ------------------------------------------------------------------ the answer as a whole */

static int lower_ascii(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Text answers compare lowercased with commands, braces, $ and outer punctuation removed and
 * whitespace collapsed: \text{Monday} = monday. */
static void normalize_text(math_arena *a, math_answer *out, const char *s, size_t len) {
    char *buf = grpo_math_alloc(a, len + 1);
    size_t w = 0;
    if (!buf) return;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            size_t j = i + 1;
            while (j < len && lx_is_alpha(s[j])) j++;
            if (j == i + 1 && j < len) j++;
            if (w && buf[w - 1] != ' ') buf[w++] = ' ';
            i = j - 1;
            continue;
        }
        if (c == '{' || c == '}' || c == '$' || c == '*') continue;
        if (lx_is_space(c)) {
            if (w && buf[w - 1] != ' ') buf[w++] = ' ';
            continue;
        }
        buf[w++] = (char)lower_ascii(c);
    }
    size_t b = 0;
    while (b < w && (buf[b] == ' ' || buf[b] == '.' || buf[b] == ',' || buf[b] == ':')) b++;
    while (w > b && (buf[w - 1] == ' ' || buf[w - 1] == '.' || buf[w - 1] == ',' || buf[w - 1] == ';' || buf[w - 1] == '!')) w--;
    out->text = buf + b;
    out->text_len = w - b;
}

/* "B", "(B)", "\text{(B)}", "\textbf{(B)} 5": a choice letter A-J. */
static char choice_letter(const token *t, int n) {
    int i = 0;
    int paren = t[i].kind == T_LPAREN;
    if (paren) i++;
    const token *l = &t[i];
    if (!((l->kind == T_VAR || l->kind == T_WORD) && l->len == 1 && l->s[0] >= 'A' && l->s[0] <= 'J'))
        return 0;
    i++;
    if (paren) {
        if (t[i].kind != T_RPAREN) return 0;
        return l->s[0];
    }
    /* "B", "B.", "B)" alone, or "B:" / "B)" followed by the option's text */
    if (t[i].kind == T_COLON || t[i].kind == T_RPAREN) return l->s[0];
    while (i < n && t[i].kind == T_DOT) i++;
    return t[i].kind == T_END ? l->s[0] : 0;
}

static int is_punct_token(int kind) {
    return kind == T_DOT || kind == T_COMMA || kind == T_SEMI || kind == T_COLON || kind == T_SEP ||
           kind == T_END;
}

void grpo_math_parse_answer(math_arena *a, math_answer *out, const char *s, size_t len, int strict) {
    memset(out, 0, sizeof *out);
    if (len > MATH_MAX_ANSWER) {
        out->reason = GRPO_MATH_TOO_LONG;
        return;
    }
    lexer lx = {0};
    lx.a = a;
    lx.s = s;
    lx.len = len;
    lex(&lx);
    if (lx.err) {
        out->reason = lx.err;
        return;
    }
    int math_tokens = 0, words = 0;
    for (int i = 0; i < lx.n; i++) {
        int k = lx.t[i].kind;
        if (k == T_WORD) words++;
        else if (!is_punct_token(k) && k != T_LPAREN && k != T_RPAREN) math_tokens++;
    }
    if (lx.n <= 1) {
        out->reason = GRPO_MATH_EMPTY;
        return;
    }
    char letter = choice_letter(lx.t, lx.n);
    if (letter) {
        out->kind = MA_CHOICE;
        out->choice = letter;
        return;
    }
    if (math_tokens == 0) {
        out->kind = MA_TEXT;
        normalize_text(a, out, s, len);
        if (out->text_len == 0) {
            out->kind = MA_NONE;
            out->reason = GRPO_MATH_EMPTY;
        }
        return;
    }
    parser p = {0};
    p.a = a;
    p.t = lx.t;
    p.n = lx.n;
    p.strict = strict;
    /* leading "=" or ":" (an answer written as "= 5") and trailing punctuation are noise */
    while (at(&p, T_COLON) || (at(&p, T_REL) && peek(&p)->op == MR_EQ)) p.pos++;
    int end = lx.n - 1;
    while (end > p.pos && (lx.t[end - 1].kind == T_DOT || lx.t[end - 1].kind == T_COMMA ||
                           lx.t[end - 1].kind == T_SEMI || lx.t[end - 1].kind == T_COLON)) {
        lx.t[end - 1].kind = T_END;
        end--;
    }
    kids_t items = {0};
    int ok = 1;
    while (at(&p, T_SEP) || at(&p, T_COMMA)) p.pos++;
    for (;;) {
        /* a label before the value: "\text{Area} = 5", "\text{Total: } 5" */
        int j = p.pos;
        while (lx.t[j].kind == T_WORD) j++;
        if (j > p.pos && plain_label(lx.t, p.pos, j)) {
            if ((lx.t[j].kind == T_REL && lx.t[j].op == MR_EQ) || lx.t[j].kind == T_COLON)
                p.pos = j + 1;
            else if (name_in(lx.t[j - 1].s, lx.t[j - 1].len, LABEL_ENDS))
                p.pos = j; /* "\text{the maximum value is } 10" */
        }
        math_node *item = parse_item(&p);
        if (!item) {
            ok = 0;
            break;
        }
        push_kid(&p, &items, item);
        skip_units(&p);
        if (p.err) {
            ok = 0;
            break;
        }
        if (items.n > MATH_MAX_ITEMS) {
            p.err = GRPO_MATH_TOO_LONG;
            ok = 0;
            break;
        }
        int sep = 0;
        while (at(&p, T_COMMA) || at(&p, T_SEMI) || at(&p, T_SEP)) {
            p.pos++;
            sep = 1;
        }
        if (at(&p, T_END)) break;
        if (!sep) {
            p.err = GRPO_MATH_SYNTAX;
            ok = 0;
            break;
        }
    }
    if (!ok || p.err || a->failed || p.words > 4) {
        if (words > 0 && p.err != GRPO_MATH_TOO_DEEP && p.err != GRPO_MATH_TOO_LONG) {
            out->kind = MA_TEXT;
            normalize_text(a, out, s, len);
            return;
        }
        out->reason = p.err ? p.err : a->failed ? GRPO_MATH_TOO_LONG : GRPO_MATH_SYNTAX;
        return;
    }
    math_node *root = items.n == 1 ? items.v[0] : from_kids(&p, MN_LIST, &items);
    if (!root) {
        out->reason = GRPO_MATH_TOO_LONG;
        return;
    }
    if (root->kind == MN_PERCENT) {
        out->percent = 1;
        root = root->kids[0];
    }
    out->kind = MA_MATH;
    out->root = root;
    out->pm_count = p.pm_count;
    out->words = p.words;
    normalize_text(a, out, s, len);
}
