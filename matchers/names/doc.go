// Package names turns a person's name, written in Bangla or English script,
// into the forms the matcher compares: a canonical normalised text, a Latin
// transliteration, phonetically folded tokens split into strong and weak
// evidence, and a few short blocking keys.
//
// The same person is enrolled under many spellings ("মোঃ রফিকুল ইসলাম",
// "Md. Rafiqul Islam", "Mohammad Rofikul Islam"), so every form produced here
// is designed to be equal across scripts and common transliteration variants,
// while two different people with a shared surname ("Rahima Begum", "Rahela
// Begum") stay apart.
//
// Everything in the package is pure: no I/O, no package-level mutable state,
// and every function is safe for concurrent use.
package names
