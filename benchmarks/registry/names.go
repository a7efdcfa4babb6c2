package registry

import "strings"

// spellings is one name as registries write it: its Bangla spellings and
// its English spellings, the first of each the most common.
type spellings struct {
	bn, en []string
}

// nameEntry is a given name with the spellings clerks use for it and, per
// variation kind that can strike it, the spellings another registry uses
// instead (a ছ written স, s or chh; a joined particle split; …).
type nameEntry struct {
	spellings
	alt map[Kind]spellings
}

// has reports whether the kind can strike the name.
func (n *nameEntry) has(k Kind) bool {
	_, ok := n.alt[k]
	return ok
}

// nm builds an entry from "/"-separated spelling lists.
func nm(bn, en string, alts ...altSpelling) nameEntry {
	e := nameEntry{spellings: spellings{split(bn), split(en)}}
	for _, a := range alts {
		if e.alt == nil {
			e.alt = map[Kind]spellings{}
		}
		e.alt[a.kind] = spellings{split(a.bn), split(a.en)}
	}
	return e
}

type altSpelling struct {
	kind   Kind
	bn, en string
}

func alt(k Kind, bn, en string) altSpelling { return altSpelling{k, bn, en} }

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "/")
}

// maleNames are men's given names, most common first: the generator draws
// them with Zipf-like weights, so that the head (Abdul Karim, Rafiqul
// Islam, Abdur Rahman) is as crowded as in a real union and fathers'
// names, drawn from the same table, are as concentrated as sons'.
var maleNames = []nameEntry{
	nm("আব্দুল করিম/আবদুল করিম", "Abdul Karim/Abdul Korim/Abdul Karim"),
	nm("রফিকুল ইসলাম", "Rafiqul Islam/Rofiqul Islam/Rafikul Islam",
		alt(KindParticle, "রফিক উল ইসলাম", "Rafiq-ul-Islam/Rafiq Ul Islam")),
	nm("আব্দুর রহমান/আবদুর রহমান", "Abdur Rahman/Abdur Rohman/Abdur Rahaman",
		alt(KindParticle, "আব্দ উর রহমান", "Abd-ur-Rahman/Abdur-Rahman")),
	nm("নুরুল ইসলাম", "Nurul Islam/Nurul Islam/Noorul Islam",
		alt(KindParticle, "নূর উল ইসলাম", "Nur-ul-Islam/Noor Ul Islam")),
	nm("আবুল হোসেন", "Abul Hossain/Abul Hossen/Abul Hosen"),
	nm("হাবিবুর রহমান", "Habibur Rahman/Habibur Rohman",
		alt(KindParticle, "হাবিব উর রহমান", "Habib-ur-Rahman/Habib Ur Rahman")),
	nm("শহিদুল ইসলাম/শহীদুল ইসলাম", "Shahidul Islam/Shohidul Islam/Sahidul Islam",
		alt(KindParticle, "শহীদ উল ইসলাম", "Shahid-ul-Islam/Shahid Ul Islam")),
	nm("আনোয়ার হোসেন", "Anwar Hossain/Anwar Hossen",
		alt(KindWBV, "আনোয়ার হোসেন/আনওয়ার হোসেন", "Anowar Hossain/Anobar Hossain/Anoar Hossain")),
	nm("আমিনুল ইসলাম", "Aminul Islam/Aminul Islam/Aminul Islom",
		alt(KindParticle, "আমিন উল ইসলাম", "Amin-ul-Islam/Amin Ul Islam")),
	nm("মিজানুর রহমান", "Mizanur Rahman/Mijanur Rahman/Mizanur Rohman",
		alt(KindParticle, "মিজান উর রহমান", "Mizan-ur-Rahman/Mizan Ur Rahman")),
	nm("আব্দুস সবুর", "Abdus Sabur/Abdus Sobur",
		alt(KindChh, "আব্দুছ ছবুর/আব্দুস ছবুর", "Abdus Chobur/Abdus Chhabur/Abdus Chabur")),
	nm("জাহাঙ্গীর আলম", "Jahangir Alam/Jahangir Alom"),
	nm("সাইফুল ইসলাম", "Saiful Islam/Shaiful Islam/Saiful Islam",
		alt(KindParticle, "সাইফ উল ইসলাম", "Saif-ul-Islam/Saif Ul Islam")),
	nm("আব্দুস সালাম", "Abdus Salam/Abdus Salam/Abdus Shalam",
		alt(KindChh, "আব্দুছ ছালাম", "Abdus Chalam/Abdus Chhalam/Abdush Chalam")),
	nm("মোসলেম উদ্দিন", "Moslem Uddin/Moslem Uddin/Moslem Uddin",
		alt(KindChh, "মোছলেম উদ্দিন/মোছলেম উদ্দীন", "Muslim Uddin/Mochlem Uddin/Mosalem Uddin")),
	nm("ইউনুস আলী", "Yunus Ali/Yunus Ali/Yunus Aly",
		alt(KindGlide, "ইউনূস আলী/উনুস আলী", "Unus Ali/Iunus Ali/Eunus Ali")),
	nm("আবু বকর সিদ্দিক", "Abu Bakar Siddique/Abu Bakor Siddique",
		alt(KindFinalVowel, "আবু বকর সিদ্দিকী", "Abu Bakar Siddiqui/Abu Bakar Siddiki/Abu Bakar Siddiky")),
	nm("একেএম ফজলুল হক", "AKM Fazlul Haque/A.K.M. Fazlul Haque/AKM Fazlul Hoque",
		alt(KindInitials, "এ কে এম ফজলুল হক/এ.কে.এম ফজলুল হক", "A K M Fazlul Haque/A.K.M Fazlul Hoque/A. K. M. Fazlul Haque")),
	nm("আব্দুস সাত্তার", "Abdus Sattar/Abdus Sattar/Abdus Shattar",
		alt(KindChh, "আব্দুছ ছাত্তার", "Abdus Chattar/Abdus Chhattar")),
	nm("গোলাম মোস্তফা", "Golam Mostafa/Golam Mustafa/Gulam Mostofa"),
	nm("দেলোয়ার হোসেন", "Delwar Hossain/Delwar Hossen",
		alt(KindWBV, "দেলওয়ার হোসেন/দেলোয়ার হোসেন", "Delowar Hossain/Delobar Hossain/Deloar Hossain")),
	nm("মনিরুজ্জামান", "Moniruzzaman/Monirujjaman/Moniruzaman",
		alt(KindParticle, "মনির উজ জামান", "Monir-uz-Zaman/Monir Uz Zaman")),
	nm("ইউসুফ আলী", "Yusuf Ali/Yousuf Ali",
		alt(KindGlide, "ইউসুব আলী/উসুফ আলী", "Usuf Ali/Iusuf Ali/Eusuf Ali")),
	nm("আব্দুল মজিদ", "Abdul Mojid/Abdul Majid/Abdul Mazid"),
	nm("আব্দুল জলিল", "Abdul Jalil/Abdul Jolil"),
	nm("শফিকুল ইসলাম", "Shafiqul Islam/Shofiqul Islam/Safikul Islam",
		alt(KindParticle, "শফিক উল ইসলাম", "Shafiq-ul-Islam/Shafiq Ul Islam")),
	nm("জুয়েল রানা", "Jewel Rana/Jewel Rana",
		alt(KindLoanword, "জুয়েল রানা/জুয়েল রানা", "Juel Rana/Jual Rana/Zuwel Rana")),
	nm("সারোয়ার হোসেন", "Sarwar Hossain/Sarwar Hossen",
		alt(KindWBV, "সরোয়ার হোসেন", "Sarowar Hossain/Sorowar Hossain/Sarobar Hossain")),
	nm("আজিজুল হক", "Azizul Haque/Ajijul Hoque/Azizul Hoque",
		alt(KindParticle, "আজিজ উল হক", "Aziz-ul-Haque/Aziz Ul Haque")),
	nm("আব্দুস সোবহান", "Abdus Sobhan/Abdus Sobahan",
		alt(KindChh, "আব্দুছ ছোবহান", "Abdus Chobhan/Abdus Chhobahan")),
	nm("নিজাম উদ্দিন", "Nizam Uddin/Nijam Uddin/Nizam Uddin",
		alt(KindParticle, "নিজামুদ্দিন/নিজামউদ্দিন", "Nizamuddin/Nizam-ud-din/Nijamuddin")),
	nm("এবিএম মোস্তফা কামাল", "ABM Mostafa Kamal/A.B.M. Mostafa Kamal",
		alt(KindInitials, "এ বি এম মোস্তফা কামাল", "A B M Mostafa Kamal/A.B.M Mustafa Kamal")),
	nm("আব্দুল খালেক", "Abdul Khalek/Abdul Khaleque/Abdul Kholek"),
	nm("জিয়াউর রহমান", "Ziaur Rahman/Jiaur Rahman/Ziaur Rohman",
		alt(KindParticle, "জিয়া উর রহমান", "Zia-ur-Rahman/Zia Ur Rahman")),
	nm("আব্দুল লতিফ", "Abdul Latif/Abdul Lotif"),
	nm("আওয়াল মিয়া", "Awal Mia/Awal Miah",
		alt(KindWBV, "আউয়াল মিয়া", "Aowal Mia/Aual Mia/Abal Mia")),
	nm("শামসুদ্দিন", "Shamsuddin/Shamsuddin/Samsuddin",
		alt(KindParticle, "শামস উদ্দিন", "Shams Uddin/Shams-ud-din")),
	nm("আলমগীর হোসেন", "Alamgir Hossain/Alamgir Hossen/Alomgir Hossain"),
	nm("মোস্তাফিজুর রহমান", "Mostafizur Rahman/Mustafizur Rahman",
		alt(KindParticle, "মোস্তাফিজ উর রহমান", "Mostafiz-ur-Rahman/Mostafiz Ur Rahman")),
	nm("আব্দুস ছামাদ", "Abdus Samad/Abdus Samad",
		alt(KindChh, "আব্দুছ ছামাদ", "Abdus Chamad/Abdus Chhamad")),
	nm("ওয়াহিদুল ইসলাম", "Wahidul Islam/Wahidul Islam",
		alt(KindWBV, "ওহিদুল ইসলাম", "Ohidul Islam/Oahidul Islam/Bahidul Islam")),
	nm("রবিউল ইসলাম", "Robiul Islam/Rabiul Islam/Robiul Islam",
		alt(KindParticle, "রবি উল ইসলাম", "Robi-ul-Islam/Rabi Ul Islam")),
	nm("ইয়াকুব আলী", "Yakub Ali/Yakub Ali/Yaqub Ali",
		alt(KindGlide, "ইয়াকুব আলী/ইযাকুব আলী", "Iakub Ali/Eakub Ali/Yeakub Ali")),
	nm("লিটন মিয়া", "Liton Mia/Litton Mia",
		alt(KindLoanword, "লিটন মিয়া", "Litan Mia/Leaton Mia")),
	nm("ছিদ্দিকুর রহমান", "Siddiqur Rahman/Siddikur Rahman",
		alt(KindChh, "সিদ্দিকুর রহমান", "Chiddiqur Rahman/Chhiddikur Rahman")),
	nm("কামরুজ্জামান", "Kamruzzaman/Kamrujjaman/Kamruzaman",
		alt(KindParticle, "কামর উজ জামান", "Kamar-uz-Zaman/Kamar Uz Zaman")),
	nm("আবু তাহের", "Abu Taher/Abu Taher/Abu Tahir"),
	nm("রুহুল আমিন", "Ruhul Amin/Ruhul Amin/Ruhul Amin"),
	nm("এসএম শহীদুল্লাহ", "SM Shahidullah/S.M. Shahidullah",
		alt(KindInitials, "এস এম শহীদুল্লাহ", "S M Shahidullah/S.M Shahidulla")),
	nm("রকি আহমেদ", "Rocky Ahmed/Rocky Ahmed",
		alt(KindLoanword, "রকি আহমেদ", "Roki Ahmed/Rockey Ahmed")),
	nm("ফারুক আহমেদ", "Faruk Ahmed/Faruque Ahmed/Faruk Ahmad",
		alt(KindFinalVowel, "ফারুকী আহমেদ", "Faruqui Ahmed/Faruki Ahmed")),
	nm("হুমায়ুন কবির", "Humayun Kabir/Humayun Kobir",
		alt(KindGlide, "হুমাউন কবির", "Humaun Kabir/Humaiun Kabir")),
	nm("রাব্বানী", "Rabbani/Rabbani/Rabbany",
		alt(KindFinalVowel, "রব্বানি", "Rabbane/Rabbanee")),
	nm("আব্দুল হাই", "Abdul Hai/Abdul Hye/Abdul Hay"),
	nm("মোজাম্মেল হক", "Mozammel Haque/Mojammel Hoque/Mozammel Hoque"),
	nm("নওশাদ আলী", "Nowshad Ali/Naushad Ali",
		alt(KindWBV, "নওসাদ আলী", "Noushad Ali/Nobshad Ali/Nawshad Ali")),
	nm("জিলানী", "Jilani/Jilani/Gilani",
		alt(KindFinalVowel, "জিলানি", "Jilany/Zilani/Jilanee")),
	nm("মোখলেছুর রহমান", "Mokhlesur Rahman/Mukhlesur Rahman",
		alt(KindChh, "মোখলেসুর রহমান", "Mokhlechur Rahman/Mukhlechhur Rahman")),
	nm("বাবুল আক্তার", "Babul Akter/Babul Akhter"),
	nm("শওকত আলী", "Showkat Ali/Shawkat Ali",
		alt(KindWBV, "শওকাত আলী", "Shoukat Ali/Shaukat Ali/Sobkat Ali")),
}

// femaleNames are women's names as registries hold them, the female
// marker (Begum, Khatun, Akter, Nesa) included, most common first.
var femaleNames = []nameEntry{
	nm("সালমা আক্তার", "Salma Akter/Salma Akhter/Salma Aktar"),
	nm("রেহানা বেগম", "Rehana Begum/Rahana Begum/Rehana Begom"),
	nm("আমেনা খাতুন", "Amena Khatun/Amena Khatun/Amina Khatun"),
	nm("ফাতেমা বেগম", "Fatema Begum/Fatima Begum/Fateema Begum"),
	nm("রহিমা খাতুন", "Rahima Khatun/Rohima Khatun/Rahima Khatoon"),
	nm("হাসিনা বেগম", "Hasina Begum/Hashina Begum"),
	nm("জাহানারা বেগম", "Jahanara Begum/Jahanara Begom"),
	nm("রোকেয়া বেগম", "Rokeya Begum/Rokeya Begum/Rokeia Begum",
		alt(KindGlide, "রোকেয়া বেগম/রোকিয়া বেগম", "Rokea Begum/Rokia Begum/Rokiya Begum")),
	nm("নাসিমা আক্তার", "Nasima Akter/Nasima Akhter/Nashima Akter"),
	nm("আনোয়ারা বেগম", "Anwara Begum/Anwara Begum",
		alt(KindWBV, "আনওয়ারা বেগম", "Anowara Begum/Anoara Begum/Anobara Begum")),
	nm("লাভলী আক্তার", "Lovely Akter/Lovely Akhter",
		alt(KindLoanword, "লাভলি আক্তার", "Lavli Akter/Labli Akter/Loveli Akter")),
	nm("হ্যাপি বেগম", "Happy Begum/Happy Begum",
		alt(KindLoanword, "হেপি বেগম", "Hapi Begum/Heppy Begum/Happi Begum")),
	nm("সুফিয়া খাতুন", "Sufia Khatun/Sufiya Khatun",
		alt(KindGlide, "", "Sufea Khatun/Sufiea Khatun/Shufia Khatun")),
	nm("মরিয়ম বেগম", "Moriam Begum/Mariam Begum/Morium Begum",
		alt(KindGlide, "মরিয়াম বেগম", "Moriyam Begum/Maryam Begum")),
	nm("আছিয়া খাতুন", "Asia Khatun/Asiya Khatun",
		alt(KindChh, "আসিয়া খাতুন", "Achia Khatun/Achhia Khatun/Chhia Khatun")),
	nm("ইয়াসমিন আক্তার", "Yasmin Akter/Yasmin Akhter",
		alt(KindGlide, "ইয়াছমিন আক্তার/ইয়াসমীন আক্তার", "Iasmin Akter/Eyasmin Akter/Yeasmin Akter")),
	nm("জোছনা বেগম", "Josna Begum/Jyotsna Begum",
		alt(KindChh, "জোসনা বেগম", "Jochna Begum/Jochhna Begum")),
	nm("সকিনা খাতুন", "Sakina Khatun/Shakina Khatun",
		alt(KindChh, "ছকিনা খাতুন", "Chokina Khatun/Chhakina Khatun")),
	nm("বিউটি আক্তার", "Beauty Akter/Beauty Akhter",
		alt(KindLoanword, "বিউটী আক্তার", "Biuty Akter/Bewty Akter/Beuty Akter")),
	nm("মনোয়ারা বেগম", "Monwara Begum/Monowara Begum",
		alt(KindWBV, "মনওয়ারা বেগম", "Monoara Begum/Monobara Begum")),
	nm("শিরিন আক্তার", "Shirin Akter/Shireen Akter/Sirin Akter"),
	nm("নাজমা বেগম", "Nazma Begum/Najma Begum"),
	nm("রাশিদা বেগম", "Rashida Begum/Rasheda Begum"),
	nm("হালিমা খাতুন", "Halima Khatun/Halima Khatoon"),
	nm("পারভীন আক্তার", "Parvin Akter/Parveen Akter/Parbin Akter",
		alt(KindWBV, "পারবীন আক্তার", "Parbeen Akter/Parwin Akter")),
	nm("রুমী আক্তার", "Rumi Akter/Rumi Akhter",
		alt(KindFinalVowel, "রুমি আক্তার", "Rumy Akter/Rumee Akter")),
	nm("লাকী বেগম", "Lucky Begum/Lucky Begum",
		alt(KindLoanword, "লাকি বেগম", "Laki Begum/Lacky Begum")),
	nm("সুইটি আক্তার", "Sweety Akter/Sweety Akhter",
		alt(KindLoanword, "সুইটী আক্তার", "Suiti Akter/Sweeti Akter")),
	nm("খাদিজা বেগম", "Khadija Begum/Khadiza Begum/Khodeja Begum"),
	nm("কুলসুম বেগম", "Kulsum Begum/Kulsum Begom"),
	nm("রাবেয়া খাতুন", "Rabeya Khatun/Rabeya Khatun",
		alt(KindGlide, "রাবেয়া খাতুন", "Rabea Khatun/Rabeia Khatun/Rabiya Khatun")),
	nm("ছালেহা বেগম", "Saleha Begum/Saleha Begum",
		alt(KindChh, "সালেহা বেগম", "Chaleha Begum/Chhaleha Begum")),
	nm("শেফালী বেগম", "Shefali Begum/Shefaly Begum",
		alt(KindFinalVowel, "শেফালি বেগম", "Sefali Begum/Shephali Begum")),
	nm("মাহমুদা খাতুন", "Mahmuda Khatun/Mahmuda Khatoon"),
	nm("তাসলিমা আক্তার", "Taslima Akter/Tasleema Akter"),
	nm("মর্জিনা বেগম", "Morjina Begum/Marjina Begum/Morzina Begum"),
	nm("বিলকিস বেগম", "Bilkis Begum/Bilqis Begum"),
	nm("রওশন আরা", "Rowshan Ara/Roushan Ara",
		alt(KindWBV, "রৌশন আরা", "Roshan Ara/Robshan Ara/Rawshan Ara")),
	nm("হোসনে আরা", "Hosne Ara/Husne Ara",
		alt(KindParticle, "হোসনেআরা", "Hosneara/Husneara")),
	nm("মেহেরুন নেছা", "Mehrun Nesa/Meherun Nesa",
		alt(KindParticle, "মেহেরুননেছা/মেহেরুন্নেসা", "Meherunnesa/Mehrunnessa/Meherun-Nesa")),
	nm("কামরুন নাহার", "Kamrun Nahar/Kamrun Nahar",
		alt(KindParticle, "কামরুননাহার", "Kamrunnahar/Kamrun-Nahar")),
	nm("সিদ্দিকা বেগম", "Siddika Begum/Siddiqa Begum",
		alt(KindFinalVowel, "ছিদ্দিকা বেগম", "Siddike Begum/Siddiqua Begum")),
}

// nicknames are the daak naam a registry adds after the formal name
// (মোঃ সাইফুল ইসলাম বাবু), or keeps instead of it.
var maleNicknames = []spellings{
	{[]string{"বাবু"}, []string{"Babu"}}, {[]string{"মিন্টু"}, []string{"Mintu", "Mintoo"}},
	{[]string{"খোকন"}, []string{"Khokon", "Khokan"}}, {[]string{"দুলাল"}, []string{"Dulal"}},
	{[]string{"রতন"}, []string{"Ratan", "Roton"}}, {[]string{"স্বপন"}, []string{"Swapan", "Shopon"}},
	{[]string{"মুকুল"}, []string{"Mukul"}}, {[]string{"টিপু"}, []string{"Tipu"}},
	{[]string{"মন্টু"}, []string{"Montu"}}, {[]string{"বাচ্চু"}, []string{"Bachchu", "Bacchu"}},
}

var femaleNicknames = []spellings{
	{[]string{"মনি"}, []string{"Moni", "Mony"}}, {[]string{"শিল্পী"}, []string{"Shilpi", "Silpi"}},
	{[]string{"মুন্নী"}, []string{"Munni", "Munny"}}, {[]string{"পলি"}, []string{"Poly", "Polly"}},
	{[]string{"রুনা"}, []string{"Runa"}}, {[]string{"ডলি"}, []string{"Dolly", "Doli"}},
}

// lineage words: family or lineage titles a registry writes before the
// name (Khondakar, Sheikh, Syed, Kazi) or after it (Mollah, Miah, Sarkar…)
// and another leaves out.
type lineageWord struct {
	spellings
	before bool
}

var lineages = []lineageWord{
	{spellings{[]string{"খন্দকার"}, []string{"Khondakar", "Khandaker", "Khondoker"}}, true},
	{spellings{[]string{"শেখ"}, []string{"Sheikh", "Shekh", "Sk."}}, true},
	{spellings{[]string{"সৈয়দ"}, []string{"Syed", "Sayed"}}, true},
	{spellings{[]string{"কাজী"}, []string{"Kazi", "Kaji"}}, true},
	{spellings{[]string{"মোল্লা"}, []string{"Mollah", "Molla"}}, false},
	{spellings{[]string{"মিয়া", "মিঞা"}, []string{"Miah", "Mia"}}, false},
	{spellings{[]string{"সরকার"}, []string{"Sarkar", "Sarker"}}, false},
	{spellings{[]string{"ভূঁইয়া", "ভূইয়া"}, []string{"Bhuiyan", "Bhuiya"}}, false},
	{spellings{[]string{"চৌধুরী"}, []string{"Chowdhury", "Chowdhuri"}}, false},
	{spellings{[]string{"তালুকদার"}, []string{"Talukder", "Talukdar"}}, false},
	{spellings{[]string{"হাওলাদার"}, []string{"Howlader", "Hawlader"}}, false},
	{spellings{[]string{"মন্ডল"}, []string{"Mondal", "Mondol"}}, false},
}

// Honorifics clerks put before a name, or not.
var (
	maleHonorifics   = spellings{[]string{"মোঃ", "মো:", "মোহাম্মদ"}, []string{"Md.", "Md", "Mohammad", "Mohd."}}
	femaleHonorifics = spellings{[]string{"মোছাঃ", "মোসাঃ", "মোছাম্মৎ"}, []string{"Mst.", "Most.", "Mosammat", "Mst"}}
	late             = spellings{[]string{"মৃত", "মরহুম"}, []string{"Late", "Lt."}}
)
