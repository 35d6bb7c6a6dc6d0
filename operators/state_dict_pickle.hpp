// PyTorch state_dict files as users save them, read without Python.
//
//   torch.save(model.state_dict(), f)        an OrderedDict with a _metadata attribute
//   torch.save(dict(model.state_dict()), f)  a plain dict
//   torch.save({"w": t}, f)                  a one-entry dict (pickled with SETITEM)
//
// torch.save writes a zip archive (<name>/data.pkl, <name>/data/<storage>, <name>/version)
// whose data.pkl is a pickle of protocol 2. libtorch's unpickler (1.13) turns
// collections.OrderedDict() into None, so a state_dict saved as the OrderedDict it is fails
// inside libtorch, and its unpickler reads SETITEMS but not SETITEM (a one-entry dict). The
// pickle is therefore rewritten opcode by opcode before libtorch reads it, with the stack
// depth after each opcode simulated to find where an argument's opcodes begin:
//  - every call OrderedDict() — the class pushed by GLOBAL 'collections OrderedDict' or by a
//    GET of its memo entry, then EMPTY_TUPLE, REDUCE — becomes EMPTY_DICT (filled by the
//    SETITEMS that follow);
//  - a last BUILD applying the OrderedDict's instance state (_metadata: module versions, not
//    needed here) is dropped with the opcodes that build that state;
//  - SETITEM becomes MARK key value SETITEMS.
// Everything else, tensors and their storages included, is read by libtorch's own unpickler.
#pragma once

#include <ATen/core/ivalue.h>

#include <string>
#include <vector>

namespace iff::operators {

/// The pickle `pickle` rewritten as above. InputError for a truncated pickle, an unknown
/// opcode or another use of OrderedDict than OrderedDict().
std::vector<char> plain_dict_pickle(const std::vector<char>& pickle);

/// The object a torch.save file holds (zip archive or libtorch's own pickle format), with
/// OrderedDicts read as dicts. InputError naming `path` when it cannot be read.
c10::IValue read_torch_save_file(const std::string& path);

}  // namespace iff::operators
