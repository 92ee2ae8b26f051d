"""CPython 3.11: heap corruption when the cyclic GC runs inside an attribute store.

No third-party code. On CPython 3.11 (3.11.2 and 3.11.7 tested) this crashes within a few
iterations (SIGSEGV, or an assertion in a debug build); on 3.12 and 3.13 it completes.

Mechanism (CPython 3.11, Objects/dictobject.c, _PyObject_StoreInstanceAttribute):
storing a *new* attribute name on an instance whose class's shared keys are full makes
CPython build the instance's __dict__ from its inline values
(make_dict_from_instance_attributes). Building it allocates a dict object, and on 3.11 a
GC-tracked allocation may run a garbage collection on the spot. If that collection calls a
weakref callback (or a finalizer) which stores a new attribute name on the *same* instance,
the callback builds its own __dict__ from the same values array, and a resize of that
dict frees the array. The outer store then finishes building a second __dict__ around
the freed array, reads it and frees it again: use-after-free and double free, which
corrupts the allocator's free lists and crashes later, somewhere unrelated.
On 3.12+ the GC no longer runs inside an allocation (it is deferred to the interpreter's
next safe point), so the callback runs after the store.

    python gc_in_setattr.py [iterations]
"""
import gc
import sys
import weakref


def full_class():
    """A fresh class whose shared keys are full: each instance adds one new name
    (3.11 keeps only about 30 names in a class's shared keys)."""
    class C:
        pass
    C.keep = []
    for i in range(40):
        o = C()
        setattr(o, f"k{i}", i)
        C.keep.append(o)
    return C


class Node:
    pass


in_store = False
during, after = [], []


def run_once():
    global in_store
    C = full_class()
    s = C()            # inline values, in C's full shared keys
    s.k0 = 0
    x = Node()
    x.me = x           # cyclic garbage: only the GC frees it

    def cb(ref):       # weakref callback, called by the GC that frees x
        (during if in_store else after).append(1)
        s.late = 1     # a new name on the same instance

    r = weakref.ref(x, cb)
    del x
    pad = [[], [], []]     # make sure the young generation is over its threshold
    gc.set_threshold(1)    # ... so that the next GC-tracked allocation collects
    in_store = True
    s.other = 2            # new name: allocates s.__dict__ -> GC -> cb -> s.late = 1
    in_store = False
    gc.set_threshold(700)
    return s, r, pad


n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
for _ in range(n):
    keep = run_once()
print(f"Python {sys.version.split()[0]}: {n} iterations survived; weakref callbacks run "
      f"inside the attribute store: {len(during)}, after it: {len(after)}")
