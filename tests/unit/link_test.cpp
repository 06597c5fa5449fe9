// Tests for include/nsnet/link.hpp (and the owners built on it): what must and must not compile
// (an owner never converts to a mutable Link&, owners are move-only, a handle's kernel-changing
// operations are const), and the checks that need no kernel.
#include "nsnet/link.hpp"

#include <doctest/doctest.h>

#include <string>
#include <type_traits>
#include <utility>

#include "nsnet/bridge.hpp"
#include "nsnet/ipvlan.hpp"
#include "nsnet/macvlan.hpp"
#include "nsnet/tun.hpp"
#include "nsnet/veth.hpp"
#include "nsnet/vlan.hpp"
#include "nsnet/vxlan.hpp"
#include "../support/errors.hpp"

using namespace nsnet;
using nsnet::test::has;
using nsnet::test::rejection;

namespace {

// An owner of a link: no mutable Link& (so `Link& l = owner; l = other;` cannot make it delete
// another interface), a const Link& (so set_master(owner) and DeviceArg work), move-only, and not
// a Link by inheritance at all.
template <class Owner>
constexpr bool is_sound_link_owner =
    !std::is_convertible_v<Owner&, Link&> && !std::is_base_of_v<Link, Owner> &&
    std::is_convertible_v<const Owner&, const Link&> && std::is_convertible_v<const Owner&, DeviceArg> &&
    !std::is_copy_constructible_v<Owner> && !std::is_copy_assignable_v<Owner> &&
    std::is_nothrow_move_constructible_v<Owner> && std::is_nothrow_move_assignable_v<Owner> &&
    // Not sliceable through the shared base: neither assigned nor moved out of through it.
    !std::is_assignable_v<detail::LinkOwnerBase&, Owner&&> && !std::is_destructible_v<detail::LinkOwnerBase> &&
    !std::is_constructible_v<detail::LinkOwnerBase, Owner&&>;

static_assert(is_sound_link_owner<OwnedLink>);
static_assert(is_sound_link_owner<Bridge>);
static_assert(is_sound_link_owner<Macvlan>);
static_assert(is_sound_link_owner<Vlan>);
static_assert(is_sound_link_owner<Vxlan>);
static_assert(is_sound_link_owner<Ipvlan>);
static_assert(is_sound_link_owner<Tun>);

// A veth pair hands out read-only ends only, and is move-only.
static_assert(std::is_same_v<decltype(std::declval<VethPair&>().first()), const Link&>);
static_assert(std::is_same_v<decltype(std::declval<VethPair&>().second()), const Link&>);
static_assert(!std::is_assignable_v<decltype(std::declval<VethPair&>().first()), Link>);
static_assert(!std::is_convertible_v<decltype(std::declval<VethPair&>().first()), Link&>);
static_assert(!std::is_copy_constructible_v<VethPair> && !std::is_copy_assignable_v<VethPair>);
static_assert(std::is_nothrow_move_constructible_v<VethPair> && std::is_nothrow_move_assignable_v<VethPair>);

// Link is a copyable handle, like an fd: operations that change the interface but not which
// interface the handle names work on a const Link; those that re-point it (rename, set_netns) do not.
static_assert(std::is_copy_constructible_v<Link> && std::is_copy_assignable_v<Link>);
template <class L>
concept changes_interface = requires(L l, const Link& master) {
    l.up();
    l.down();
    l.set_mtu(1400u);
    l.set_mac("02:00:00:00:00:01");
    l.set_alias("x");
    l.set_owner("x");
    l.set_master(master);
    l.set_nomaster();
    l.add_address("10.0.0.1/24");
    l.remove_address("10.0.0.1/24");
};
template <class L>
concept repoints = requires(L l, const NetnsRef& ns) {
    l.rename("x");
    l.set_netns(ns);
};
static_assert(changes_interface<const Link&> && !repoints<const Link&> && repoints<Link&>);
static_assert(requires(const Link& l) { l.remove(); });  // ip link del: idempotent, the handle stays as it was
// Owners offer the same operations (forwarded once, in detail::LinkOwnerBase), re-pointing their own handle.
static_assert(changes_interface<const Bridge&> && !repoints<const Bridge&> && repoints<Bridge&>);
static_assert(changes_interface<OwnedLink&> && repoints<OwnedLink&> && repoints<Tun&>);
// add_address/remove_address take one PrefixArg: text, a Prefix or a host address, with or without
// options, on a Link and on every owner (no ambiguity with the AddressOptions parameter).
template <class L>
concept takes_prefix_arg = requires(L l, const Prefix& p, const IpAddress& a, const std::string& s) {
    l.add_address(p);
    l.add_address(p, {.broadcast = true});
    l.add_address(s, {});
    l.add_address(std::string_view("10.0.0.1/24"));
    l.add_address(a, {.nodad = true});
    l.remove_address(p);
    l.remove_address(s);
};
static_assert(takes_prefix_arg<const Link&> && takes_prefix_arg<const Bridge&> && takes_prefix_arg<OwnedLink&>);

}  // namespace

TEST_CASE("Link::remove on an empty handle is a no-op; an empty owner owns nothing") {
    Link empty;
    CHECK_NOTHROW(empty.remove());
    OwnedLink none;
    CHECK_FALSE(none.owned());
    CHECK_FALSE(none.valid());
    CHECK_NOTHROW(none.remove());
    Bridge br;
    CHECK_FALSE(br.owned());
    CHECK_NOTHROW(br.remove());
}

TEST_CASE("an owner's handle: release() gives it back, the owner then owns nothing") {
    NetnsRef ns = NetnsRef::current();
    OwnedLink o(Link(ns, 12345, "nst-fake0"));
    CHECK(o.owned());
    CHECK(o.valid());
    CHECK(o.name() == "nst-fake0");
    const Link& view = o;
    CHECK(view.index() == 12345);
    CHECK(&view == &o.link());
    OwnedLink moved = std::move(o);
    CHECK_FALSE(o.owned());  // NOLINT(bugprone-use-after-move): moved-from owns nothing
    CHECK(moved.owned());
    Link plain = moved.release();
    CHECK_FALSE(moved.owned());
    CHECK(plain == Link(ns, 12345, "nst-fake0"));
    CHECK_NOTHROW(moved.remove());  // not owned: nothing is sent
}

TEST_CASE("DeviceArg takes a Link, an owner, an ifindex or a name; an empty link is refused before any request") {
    NetnsRef ns = NetnsRef::current();
    OwnedLink gone(Link(ns, 0, "gone0"));
    DeviceArg from_owner = gone;
    CHECK_FALSE(from_owner.empty());
    CHECK_THROWS_AS(from_owner.resolve(ns, "add route", "10.0.0.0/8"), InvalidArgument);
    (void)gone.release();
    CHECK(DeviceArg().empty());
    CHECK(DeviceArg("").empty());
    CHECK_FALSE(DeviceArg("eth0").empty());
    CHECK_FALSE(DeviceArg(3).empty());
    CHECK_THROWS_AS(DeviceArg(-1).resolve(ns, "add route", "x"), InvalidArgument);
}

TEST_CASE("VethPair::set_netns / rename refuse a link that is not one of the pair's ends") {
    VethPair empty;
    Link other(NetnsRef::current(), 4242, "other0");
    CHECK_THROWS_AS(empty.set_netns(other, NetnsRef::current()), InvalidArgument);
    CHECK_THROWS_AS(empty.rename(other, "x"), InvalidArgument);
}

TEST_CASE("Link::add_address/remove_address: bad text is an InvalidArgument naming the field and the value") {
    const Link lo(NetnsRef::current(), 1, "lo");  // nothing is sent: the text is refused first
    auto bad = rejection([&] { lo.add_address("10.0.0.300/24"); });
    CHECK(has(bad, "add address 'lo'"));
    CHECK(has(bad, "address '10.0.0.300/24' is not a prefix"));
    CHECK(has(rejection([&] { lo.add_address("10.0.0.1/33", {.replace = true}); }), "address '10.0.0.1/33' is not a prefix"));
    auto del = rejection([&] { lo.remove_address("not-an-ip"); });
    CHECK(has(del, "delete address 'lo'"));
    CHECK(has(del, "address 'not-an-ip' is not a prefix"));
    CHECK(has(rejection([&] { lo.add_address(""); }), "address is not set"));
    OwnedLink owner(Link(NetnsRef::current(), 1, "lo"));  // released below: never removes lo
    CHECK(has(rejection([&] { owner.add_address("2001:db8::1/129"); }), "address '2001:db8::1/129' is not a prefix"));
    (void)owner.release();
}
