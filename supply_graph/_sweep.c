/* Forward substitution f = e + Aᵀ f for a supply graph listed in any node order.
 *
 * The optional compiled kernel of supply_graph/native.py (built by `make install`; without it the
 * numpy path of supply_graph/solve.py gives the same numbers). Three passes over the edges, the
 * first two in `sg_order_new` (so that a loop is known before any right-hand side is built),
 * the third in `sg_sweep`:
 *
 *   1. group:  a stable counting sort of the edges by consumer, i.e. Aᵀ in CSR with the nodes
 *              kept in their own numbering (row j = j's providers, in the order the edges are
 *              listed, as scipy's coo_tocsr would give them);
 *   2. order:  a depth-first search over the providers; a node is placed after all its providers
 *              (post-order), so the placed nodes form a topological order. A provider met again
 *              while still on the search path closes a loop: the caller then takes its loop plan;
 *   3. sweep:  the rows in that order, f_j += Σ_k Aᵀ[j, k] f_k over j's providers, whose values
 *              are final by then; both right-hand-side blocks in the same pass.
 *
 * Row j adds its providers' terms in the order its edges are listed, as scipy's csr_matvecs does
 * on the renumbered matrix, so the result is the numpy path's bit for bit (the order in which
 * rows are finished never changes a row's value). The prefetches only hide memory latency:
 * in a randomly listed graph every pass jumps around arrays larger than the L2 cache.
 *
 * `sg_fill_quality` builds the quality right-hand sides of supply_graph/quality.py in one pass
 * over the rows, with the same products, and `sg_quality_shares` divides the solved columns into
 * shares and ratings with the same divisions (numpy takes one pass per column, with masks and
 * temporaries).
 *
 * Build: cc -O2 -fPIC -shared -ffp-contract=off (no fused multiply-add: the numpy path has none).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { UNSEEN = 0, ON_PATH = 1, PLACED = 2 };
#define AHEAD 16 /* edges or rows looked ahead by a prefetch */

/* Edges grouped by consumer: ptr[j]..ptr[j+1] index j's providers (idx) and amounts (val). */
static void group(int64_t n, int64_t nnz, const int64_t *provider, const int64_t *consumer,
                  const double *amount, int32_t *ptr, int32_t *idx, double *val) {
    memset(ptr, 0, (size_t)(n + 1) * sizeof *ptr);
    for (int64_t e = 0; e < nnz; e++) ptr[consumer[e] + 1]++;
    for (int64_t j = 0; j < n; j++) ptr[j + 1] += ptr[j];
    for (int64_t e = 0; e < nnz; e++) { /* ptr[j] is the next free slot of row j */
        if (e + AHEAD < nnz) {
            int32_t ahead = ptr[consumer[e + AHEAD]];
            __builtin_prefetch(idx + ahead, 1);
            if (val) __builtin_prefetch(val + ahead, 1);
        }
        int32_t slot = ptr[consumer[e]]++;
        idx[slot] = (int32_t)provider[e];
        if (val) val[slot] = amount[e];
    }
    memmove(ptr + 1, ptr, (size_t)n * sizeof *ptr); /* back to row starts */
    ptr[0] = 0;
}

/* Post-order depth-first search from every node in turn; returns how many nodes were placed
 * in `order` (n for a graph without loops, fewer when a loop stopped the search). */
static int64_t depth_first(int64_t n, const int32_t *ptr, const int32_t *idx, int32_t *order,
                           uint8_t *state, int32_t *path, int32_t *next) {
    int64_t placed = 0;
    memset(state, UNSEEN, (size_t)n);
    for (int64_t root = 0; root < n; root++) {
        if (state[root] != UNSEEN) continue;
        /* v: the node searched, e..end: its providers not yet looked at; path[0..top): the nodes
         * v was reached from, next[t]: path[t]'s next edge once its search resumes */
        int64_t top = 0;
        int32_t v = (int32_t)root, e = ptr[v], end = ptr[v + 1];
        state[v] = ON_PATH;
        for (;;) {
            while (e < end && state[idx[e]] == PLACED) e++; /* in one go: independent loads */
            if (e == end) { /* every provider of v placed: place v, resume the node below */
                state[v] = PLACED, order[placed++] = v;
                if (top == 0) break;
                top--, v = path[top], e = next[top], end = ptr[v + 1];
                continue;
            }
            int32_t i = idx[e]; /* the first provider not placed: on the path or unseen */
            if (state[i] == ON_PATH) return placed; /* i reaches v and v needs i: a loop */
            path[top] = v, next[top] = e + 1, top++;
            v = i, e = ptr[i], end = ptr[i + 1], state[i] = ON_PATH;
        }
    }
    return placed;
}

/* Up to four columns (w of them) of row y += Σ_e val[e] · row idx[e] of x (row length k), summed
 * in registers: the same additions in the same order as adding into y edge by edge, without a
 * store and reload of y per edge. */
static inline void add_rows(double *y, int64_t w, int32_t lo, int32_t hi, const int32_t *idx,
                            const double *val, const double *x, int64_t k) {
    double s0 = y[0], s1 = w > 1 ? y[1] : 0.0, s2 = w > 2 ? y[2] : 0.0, s3 = w > 3 ? y[3] : 0.0;
    for (int32_t e = lo; e < hi; e++) {
        const double a = val[e], *r = x + (int64_t)idx[e] * k;
        s0 += a * r[0];
        if (w > 1) s1 += a * r[1];
        if (w > 2) s2 += a * r[2];
        if (w > 3) s3 += a * r[3];
    }
    y[0] = s0;
    if (w > 1) y[1] = s1;
    if (w > 2) y[2] = s2;
    if (w > 3) y[3] = s3;
}

/* f_j += Σ Aᵀ[j, k] f_k (and the same for g) row by row in a topological order. */
static void sweep(int64_t n, const int32_t *order, const int32_t *ptr, const int32_t *idx,
                  const double *val, double *f, int64_t kf, double *g, int64_t kg) {
    for (int64_t p = 0; p < n; p++) {
        if (p + AHEAD < n) __builtin_prefetch(ptr + order[p + AHEAD]);
        if (p + AHEAD / 2 < n) {
            int64_t q = order[p + AHEAD / 2];
            __builtin_prefetch(idx + ptr[q]), __builtin_prefetch(val + ptr[q]);
            __builtin_prefetch(f + q * kf, 1), __builtin_prefetch(g + q * kg, 1);
        }
        int64_t j = order[p];
        for (int64_t c = 0; c < kf; c += 4)
            add_rows(f + j * kf + c, kf - c, ptr[j], ptr[j + 1], idx, val, f + c, kf);
        for (int64_t c = 0; c < kg; c += 4)
            add_rows(g + j * kg + c, kg - c, ptr[j], ptr[j + 1], idx, val, g + c, kg);
    }
}

/* The edges grouped by consumer and a topological order, kept between the calls below. */
typedef struct {
    int64_t n, placed; /* placed < n: the search met a loop */
    int32_t *ptr, *idx, *order;
    double *val; /* NULL: structure only */
} sg_order;

void sg_order_free(sg_order *o) {
    if (o) free(o->ptr), free(o->idx), free(o->order), free(o->val), free(o);
}

/* Group the edges (with their amounts unless `amount` is NULL) and order the n nodes; NULL when
 * memory ran out. Node and edge counts must be below 2^31. */
sg_order *sg_order_new(int64_t n, int64_t nnz, const int64_t *provider, const int64_t *consumer,
                       const double *amount) {
    sg_order *o = calloc(1, sizeof *o);
    int32_t *path = malloc((size_t)n * 4 + 4), *next = malloc((size_t)n * 4 + 4);
    uint8_t *state = malloc((size_t)n + 1);
    if (o) {
        o->n = n, o->ptr = malloc((size_t)(n + 1) * 4), o->idx = malloc((size_t)nnz * 4 + 4);
        o->order = malloc((size_t)n * 4 + 4), o->val = amount ? malloc((size_t)nnz * 8 + 8) : NULL;
    }
    if (!o || !o->ptr || !o->idx || !o->order || (amount && !o->val) || !path || !next || !state) {
        sg_order_free(o), o = NULL;
    } else {
        group(n, nnz, provider, consumer, amount, o->ptr, o->idx, o->val);
        o->placed = depth_first(n, o->ptr, o->idx, o->order, state, path, next);
    }
    free(path), free(next), free(state);
    return o;
}

/* How many nodes the search placed (n: no loop); `out` (int32, n) receives them if not NULL. */
int64_t sg_order_placed(const sg_order *o, int32_t *out) {
    if (out) memcpy(out, o->order, (size_t)o->placed * sizeof *out);
    return o->placed;
}

/* f ← (I − Aᵀ)⁻¹ f and g ← (I − Aᵀ)⁻¹ g in place (C-contiguous float64, n × kf and n × kg,
 * rows in the graph's own numbering) for A[provider[e], consumer[e]] += amount[e]; only for an
 * order made with the amounts and without a loop. */
void sg_sweep(const sg_order *o, double *f, int64_t kf, double *g, int64_t kg) {
    sweep(o->n, o->order, o->ptr, o->idx, o->val, f, kf, g, kg);
}

/* The quality right-hand sides of n rows (quality.py, `_fill_quality`, the same products):
 * b·primary, b·r_c for each of the r ratings when the row has all of them (else 0) and b·[rated],
 * b the row's own emissions (`own`); rows of `ratings` are `sr` doubles apart, rows of `out`
 * (r + 2 columns) `so` apart. A rating is missing when it is NaN. */
void sg_fill_quality(int64_t n, const double *own, const double *primary, const double *ratings,
                     int64_t r, int64_t sr, double *out, int64_t so) {
    for (int64_t j = 0; j < n; j++) {
        const double b = own[j], *rj = ratings + j * sr;
        double *y = out + j * so;
        int rated = 1;
        for (int64_t c = 0; c < r; c++) rated &= rj[c] == rj[c];
        y[0] = b * primary[j];
        for (int64_t c = 0; c < r; c++) y[1 + c] = rated ? b * rj[c] : 0.0;
        y[1 + r] = b * (double)rated;
    }
}

/* The shares of quality.py's `quality_from_solution` (the same divisions) from solved rows
 * [p, q_1..q_r, w], `ss` doubles apart: the primary share p / total (0 where total is 0) and
 * each rating q_c / w (NaN where w is 0: no contributing node is rated). */
void sg_quality_shares(int64_t n, const double *total, const double *solved, int64_t r,
                       int64_t ss, double *share, double *rated) {
    for (int64_t j = 0; j < n; j++) {
        const double *x = solved + j * ss, w = x[1 + r];
        share[j] = total[j] != 0 ? x[0] / total[j] : 0.0;
        for (int64_t c = 0; c < r; c++) rated[j * r + c] = w != 0 ? x[1 + c] / w : NAN;
    }
}
