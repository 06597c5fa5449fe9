// Workload C's baseline: a translation unit that includes only <string> and <vector>.
#include <string>
#include <vector>

int main() {
    std::vector<std::string> v{"c-a", "c-b"};
    return v.size() == 2 ? 0 : 1;
}
